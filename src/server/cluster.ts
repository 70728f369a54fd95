import { startServer, type RunningServer, type ServerOptions } from "./server.ts";

/**
 * `--workers N`: N listeners on one port through SO_REUSEPORT, so the kernel spreads connections
 * over N threads and the server can use N cores. This thread runs the first listener; N − 1 Bun
 * Workers run the others.
 */

export type WorkerRequest = { type: "start"; options: ServerOptions } | { type: "stop"; graceMs?: number };
export type WorkerReply = { type: "ready" } | { type: "failed"; message: string } | { type: "stopped" };

export function reusePortSupported(): boolean {
  return process.platform === "linux";
}

function reply(worker: Worker, expected: WorkerReply["type"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent<WorkerReply>) => {
      done();
      if (event.data.type === expected) resolve();
      else reject(new Error(event.data.type === "failed" ? event.data.message : `worker answered ${event.data.type}`));
    };
    const onError = (event: ErrorEvent) => {
      done();
      reject(new Error(`worker failed: ${event.message}`));
    };
    const done = () => {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
  });
}

/**
 * SO_REUSEPORT would also let this server join a port that another server (a second
 * `serve --workers N`) already listens on, silently splitting its traffic. A plain listener,
 * opened and closed first, fails on a port in use, and picks the port when `--port 0`.
 */
function claimPort(hostname: string, port: number): number {
  const probe = Bun.listen({ hostname, port, socket: { data() {} } });
  const claimed = probe.port;
  probe.stop(true);
  return claimed;
}

export async function startCluster(options: ServerOptions, workerCount: number): Promise<RunningServer> {
  if (workerCount === 1) return startServer(options);
  const shared = { ...options, port: claimPort(options.hostname, options.port), reusePort: true };
  const first = startServer(shared);
  const workers: Worker[] = [];
  const stopWorkers = (graceMs?: number) =>
    Promise.all(
      workers.map(async (worker) => {
        const stopped = reply(worker, "stopped");
        worker.postMessage({ type: "stop", graceMs } satisfies WorkerRequest);
        await stopped.catch(() => {});
        worker.terminate();
      }),
    );
  try {
    for (let i = 1; i < workerCount; i++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      workers.push(worker);
      const ready = reply(worker, "ready");
      worker.postMessage({ type: "start", options: shared } satisfies WorkerRequest);
      await ready;
    }
  } catch (error) {
    // Leave nothing listening behind: the process is about to report the failure and exit.
    await Promise.all([first.stop(0), stopWorkers(0)]);
    throw error;
  }
  return {
    hostname: first.hostname,
    port: first.port,
    connectionCount: first.connectionCount,
    async stop(graceMs) {
      await Promise.all([first.stop(graceMs), stopWorkers(graceMs)]);
    },
  };
}
