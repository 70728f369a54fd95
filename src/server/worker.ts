import type { WorkerReply, WorkerRequest } from "./cluster.ts";
import { startServer, type RunningServer } from "./server.ts";

/** One more listener of `serve --workers N`, in its own thread. */
declare const self: Worker;

let server: RunningServer | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === "start") {
    try {
      server = startServer(request.options);
      self.postMessage({ type: "ready" } satisfies WorkerReply);
    } catch (error) {
      self.postMessage({ type: "failed", message: String(error) } satisfies WorkerReply);
    }
  } else {
    await server?.stop(request.graceMs);
    self.postMessage({ type: "stopped" } satisfies WorkerReply);
  }
};
