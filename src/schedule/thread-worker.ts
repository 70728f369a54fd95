import { MinibenchError } from "../errors.ts";
import type { Interval } from "../stats/result.ts";
import { runOn, type ThreadReply, type ThreadRequest } from "./threads.ts";

/** One load-generating thread of `--threads N`: runs its share and posts its results back. */
declare const self: Worker;

const interrupt = new AbortController();

self.onmessage = async (event: MessageEvent<ThreadRequest>) => {
  const request = event.data;
  if (request.type === "stop") {
    interrupt.abort();
    return;
  }
  try {
    // Each interval goes to the main thread as it ends, for the live view and the interval logs.
    const intervals =
      request.intervalS === null
        ? undefined
        : {
            intervalS: request.intervalS,
            keep: request.keepIntervals,
            onInterval: (interval: Interval, repeat: number, startedAtMs: number) =>
              self.postMessage({ type: "interval", interval, repeat, startedAtMs } satisfies ThreadReply),
          };
    const results = await runOn(request.load, request.run, request.phase, { signal: interrupt.signal, intervals });
    self.postMessage({ type: "done", results } satisfies ThreadReply);
  } catch (error) {
    const exitCode = error instanceof MinibenchError ? error.exitCode : 1;
    self.postMessage({ type: "failed", message: (error as Error).message, exitCode } satisfies ThreadReply);
  }
};
