import type { Clock, Sender } from "./sender.ts";

export interface ClosedStop {
  /** Stop once this many outcomes are known (a count-bound run waits for all of them). */
  requests?: number;
  /** Stop sending at this time; requests still in flight then are abandoned, as wrk does. */
  untilUs?: number;
  /**
   * A count-bound run that reaches its count before this time goes on, as a timed run, until
   * then: a few thousand requests at a high rate last milliseconds, and would measure connection
   * set-up rather than the server.
   */
  notBeforeUs?: number;
  /**
   * A closed loop in stages: the most requests in flight `elapsedS` after `startUs` (see
   * `connectionsAt`). Read on each freed slot and by a coarse timer, which fills the slots a
   * rising level opens; when it falls, requests in flight finish and are not replaced.
   */
  inFlightAt?: (elapsedS: number) => number;
  startUs?: number;
}

/** How often a closed loop in stages looks for a risen level: it has no due times to meet. */
const LEVEL_TICK_MS = 10;

/**
 * The closed loop: every free slot sends at once, and each outcome frees a slot that sends the
 * next request. The server's pace sets the rate (back-pressure), so latency here is service time.
 */
export function closedLoop(sender: Sender, stop: ClosedStop, clock: Clock, signal?: AbortSignal): Promise<void> {
  let limit = stop.requests ?? Number.POSITIVE_INFINITY;
  const untilUs = stop.untilUs ?? Number.POSITIVE_INFINITY;
  const startRequests = sender.tally.requests;
  let toSend = limit;
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let levelTimer: ReturnType<typeof setInterval> | undefined;
    const { inFlightAt } = stop;
    const startUs = stop.startUs ?? clock();
    const finish = () => {
      clearTimeout(timer);
      clearInterval(levelTimer);
      sender.listener = { onSlotFree() {} };
      resolve();
    };
    const finishAt = (atUs: number) => {
      timer = setTimeout(finish, Math.max(0, (atUs - clock()) / 1000));
    };
    // A timed run ends by its timer, not by reading the clock on every freed slot: a clock read is
    // a measurable share of a request's cost, and the timer is late by one turn of the loop at most.
    const fill = () => {
      if (sender.tally.requests - startRequests >= limit) {
        if (stop.notBeforeUs === undefined || clock() >= stop.notBeforeUs) {
          finish();
          return;
        }
        limit = toSend = Number.POSITIVE_INFINITY;
        finishAt(stop.notBeforeUs);
      }
      const most = inFlightAt ? inFlightAt((clock() - startUs) / 1e6) : Number.POSITIVE_INFINITY;
      // Counted before sending, so a send that completes at once (a failed connect) cannot overshoot.
      while (toSend > 0 && sender.freeSlots > 0 && !sender.exhausted && sender.inFlight < most) {
        toSend--;
        sender.send();
      }
      if (sender.exhausted && sender.inFlight === 0) finish();
    };
    if (untilUs !== Number.POSITIVE_INFINITY) finishAt(untilUs);
    sender.listener = { onSlotFree: fill };
    if (inFlightAt) levelTimer = setInterval(fill, LEVEL_TICK_MS);
    signal?.addEventListener("abort", finish);
    fill();
  });
}
