import { startServer, type RunningServer, type ServerOptions } from "./server.ts";

/**
 * `--workers N`: N listeners on one port through SO_REUSEPORT, so the kernel spreads connections
 * over N threads and the server can use N cores. This thread runs the first listener (which also
 * picks the port when `--port 0`); N − 1 Bun Workers run the others.
 */

export type WorkerRequest = { type: "start"; options: ServerOptions } | { type: "stop" };
export type WorkerReply = { type: "ready" } | { type: "failed"; message: string } | { type: "stopped" };

export function reusePortSupported(): boolean {
  return process.platform === "linux";
}

function reply(worker: Worker, expected: WorkerReply["type"]): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.addEventListener("message", function listen(event: MessageEvent<WorkerReply>) {
      worker.removeEventListener("message", listen);
      if (event.data.type === expected) resolve();
      else reject(new Error(event.data.type === "failed" ? event.data.message : `worker answered ${event.data.type}`));
    });
  });
}

export async function startCluster(options: ServerOptions, workerCount: number): Promise<RunningServer> {
  const first = startServer({ ...options, reusePort: workerCount > 1 });
  const workers: Worker[] = [];
  for (let i = 1; i < workerCount; i++) {
    const worker = new Worker(new URL("./worker.ts", import.meta.url));
    const ready = reply(worker, "ready");
    worker.postMessage({ type: "start", options: { ...options, port: first.port, reusePort: true } } satisfies WorkerRequest);
    await ready;
    workers.push(worker);
  }
  return {
    hostname: first.hostname,
    port: first.port,
    connectionCount: first.connectionCount,
    async stop(graceMs) {
      const stopped = workers.map((worker) => {
        const done = reply(worker, "stopped");
        worker.postMessage({ type: "stop" } satisfies WorkerRequest);
        return done;
      });
      await Promise.all([first.stop(graceMs), ...stopped]);
      for (const worker of workers) worker.terminate();
    },
  };
}
