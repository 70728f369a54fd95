import { MinibenchError } from "../errors.ts";
import type { Interval } from "../stats/result.ts";
import { nowUs } from "../client/clock.ts";
import { epochNowMs, runOn, type ThreadReply, type ThreadRequest } from "./threads.ts";

/** One load-generating thread of `--threads N`: runs its share and posts its results back. */
declare const self: Worker;

const interrupt = new AbortController();

const MAX_START_WAIT_MS = 1000;

/** The main thread's answer to "ready": the common start, once every thread is ready. */
let onStart: ((atEpochMs: number) => void) | null = null;

/**
 * Says it is ready, waits for the common start, sleeps until it and returns it on this thread's
 * clock. Only a run in stages waits for it: there the threads' shares of the profile must stay in step.
 */
function startAt(): Promise<number> {
  return new Promise((resolve) => {
    onStart = async (atEpochMs) => {
      onStart = null;
      // Never more than a second ahead: wall clocks that disagree must not stall a run.
      const waitMs = Math.min(MAX_START_WAIT_MS, Math.max(0, atEpochMs - epochNowMs()));
      const startUs = nowUs() + waitMs * 1000;
      if (waitMs > 0) await Bun.sleep(waitMs);
      resolve(startUs);
    };
    // Stopped while waiting: start at once, and the run ends as an interrupted one does.
    interrupt.signal.addEventListener("abort", () => onStart?.(epochNowMs()), { once: true });
    self.postMessage({ type: "ready" } satisfies ThreadReply);
  });
}

self.onmessage = async (event: MessageEvent<ThreadRequest>) => {
  const request = event.data;
  if (request.type === "stop") {
    interrupt.abort();
    return;
  }
  if (request.type === "start") {
    onStart?.(request.atEpochMs);
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
    const results = await runOn(request.load, request.run, request.phase, { signal: interrupt.signal, intervals, ...(request.run.stages ? { startAt } : {}) });
    self.postMessage({ type: "done", results } satisfies ThreadReply);
  } catch (error) {
    const exitCode = error instanceof MinibenchError ? error.exitCode : 1;
    self.postMessage({ type: "failed", message: (error as Error).message, exitCode } satisfies ThreadReply);
  }
};
