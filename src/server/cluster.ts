import { workerReply } from "../worker-reply.ts";
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

async function reply(worker: Worker, expected: WorkerReply["type"]): Promise<void> {
  const answer = await workerReply<WorkerReply>(worker, "a --workers listener");
  if (answer.type === "failed") throw new Error(answer.message);
  if (answer.type !== expected) throw new Error(`a --workers listener answered ${answer.type}`);
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
