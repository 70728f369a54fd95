import type { Clock, Sender } from "./sender.ts";

export interface ClosedStop {
  /** Stop once this many outcomes are known (a count-bound run waits for all of them). */
  requests?: number;
  /** Stop sending at this time; requests still in flight then are abandoned, as wrk does. */
  untilUs?: number;
}

/**
 * The closed loop: every free slot sends at once, and each outcome frees a slot that sends the
 * next request. The server's pace sets the rate (back-pressure), so latency here is service time.
 */
export function closedLoop(sender: Sender, stop: ClosedStop, clock: Clock, signal?: AbortSignal): Promise<void> {
  const limit = stop.requests ?? Number.POSITIVE_INFINITY;
  const untilUs = stop.untilUs ?? Number.POSITIVE_INFINITY;
  const startRequests = sender.tally.requests;
  let toSend = limit;
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      sender.listener = { onSlotFree() {} };
      resolve();
    };
    // A timed run ends by its timer, not by reading the clock on every freed slot: a clock read is
    // a measurable share of a request's cost, and the timer is late by one turn of the loop at most.
    const fill = () => {
      if (sender.tally.requests - startRequests >= limit) {
        finish();
        return;
      }
      // Counted before sending, so a send that completes at once (a failed connect) cannot overshoot.
      while (toSend > 0 && sender.freeSlots > 0) {
        toSend--;
        sender.send();
      }
    };
    if (untilUs !== Number.POSITIVE_INFINITY) timer = setTimeout(finish, Math.max(0, (untilUs - clock()) / 1000));
    sender.listener = { onSlotFree: fill };
    signal?.addEventListener("abort", finish);
    fill();
  });
}
