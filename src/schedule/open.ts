import type { Alarm, Clock, Sender } from "./sender.ts";

export interface OpenLoopPlan {
  rateRps: number;
  arrival: "constant" | "poisson";
  /** Intended time of the first request. */
  startUs: number;
  /** No request is intended at or after this time. */
  endUs: number;
  /** Requests that may wait for a free slot; past this they are dropped. */
  backlog: number;
  /** How long to wait for the last requests after `endUs` (their timeout). */
  drainUs: number;
  /** Uniform [0, 1): injectable so Poisson arrivals are reproducible in tests. */
  random?: () => number;
  /** How often the back-stop timer looks for due requests. */
  tickMs?: number;
}

/**
 * The open loop: requests are *scheduled* at the target rate whatever the server does, and each
 * carries its intended send time, from which its latency is measured (as wrk2 does: a stalled
 * server makes every request scheduled during the stall late, and that lateness is latency the
 * users of that server would feel; measuring from the actual send would hide it — coordinated
 * omission).
 *
 * Due requests are dispatched from the I/O callbacks that run anyway (every freed slot), from an
 * alarm set for the next due time (sub-millisecond, see `waker.ts`) and from a 1 ms timer as a
 * back-stop; each dispatch sends *every* request due so far, so a high rate is
 * not limited by timer resolution. The delay between the intended time and the send of a request
 * that found a free slot is the scheduler lag, recorded apart: the floor of our accuracy.
 */
export function openLoop(sender: Sender, plan: OpenLoopPlan, clock: Clock, signal?: AbortSignal, alarm?: Alarm): Promise<void> {
  const meanGapUs = 1e6 / plan.rateRps;
  const random = plan.random ?? Math.random;
  const nextGapUs =
    plan.arrival === "poisson" ? () => -Math.log(1 - random()) * meanGapUs : () => meanGapUs;
  // A ring of intended times waiting for a slot, oldest first.
  const backlog = new Float64Array(Math.max(1, plan.backlog));
  let backlogHead = 0;
  let backlogSize = 0;
  let nextUs = plan.startUs;
  let k = 0;

  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(timer);
      if (alarm) alarm.onRing = () => {};
      sender.listener = { onSlotFree() {} };
      resolve();
    };
    // A send can complete at once and free its slot from inside send(); a dispatch asked for
    // meanwhile runs right after the current one instead of inside it.
    let dispatching = false;
    let again = false;
    const dispatch = () => {
      if (dispatching) {
        again = true;
        return;
      }
      dispatching = true;
      do {
        again = false;
        dispatchDue();
      } while (again);
      dispatching = false;
    };
    const dispatchDue = () => {
      const tally = sender.tally;
      while (backlogSize > 0 && sender.send(backlog[backlogHead]!)) {
        backlogHead = (backlogHead + 1) % backlog.length;
        backlogSize--;
      }
      const now = clock();
      while (nextUs <= now && nextUs < plan.endUs) {
        if (backlogSize === 0 && sender.send(nextUs)) {
          if (tally.counts(nextUs)) tally.lag.record(clock() - nextUs);
        } else if (backlogSize < plan.backlog) {
          backlog[(backlogHead + backlogSize) % backlog.length] = nextUs;
          backlogSize++;
        } else {
          tally.onDrop(nextUs);
        }
        // Constant arrivals are computed from the start, not accumulated, so rounding never drifts the rate.
        k++;
        nextUs = plan.arrival === "constant" ? plan.startUs + k * meanGapUs : nextUs + nextGapUs();
      }
      if (nextUs < plan.endUs) {
        alarm?.set(nextUs);
        return;
      }
      if (backlogSize === 0 && sender.inFlight === 0) {
        finish();
      } else if (now > plan.endUs + plan.drainUs) {
        // Requests that never got a slot before the end were never sent: they count as dropped.
        for (; backlogSize > 0; backlogSize--, backlogHead = (backlogHead + 1) % backlog.length) tally.onDrop(backlog[backlogHead]!);
        finish();
      }
    };
    signal?.addEventListener("abort", finish);
    const timer = setInterval(dispatch, plan.tickMs ?? 1);
    sender.listener = { onSlotFree: dispatch };
    if (alarm) alarm.onRing = dispatch;
    dispatch();
  });
}
