import type { Alarm, Clock, Sender } from "./sender.ts";
import type { LoadProfile } from "./stages.ts";

export interface OpenLoopPlan {
  /** The arrival rate over time, from `startUs` to its end: a constant rate is one stage. */
  profile: LoadProfile;
  arrival: "constant" | "poisson";
  /** When the profile starts (the intended time of the first request of a constant rate). */
  startUs: number;
  /** Requests that may wait for a free slot; past this they are dropped. */
  backlog: number;
  /** How long to wait for the last requests after the profile's end (their timeout). */
  drainUs: number;
  /** Uniform [0, 1): injectable so Poisson arrivals are reproducible in tests. */
  random?: () => number;
  /** How often the back-stop timer looks for due requests. */
  tickMs?: number;
}

/**
 * The open loop: requests are *scheduled* at the profile's rate whatever the server does, and each
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
  const { profile, startUs } = plan;
  const endUs = startUs + profile.durationS * 1e6;
  const random = plan.random ?? Math.random;
  // Request k is due when the expected arrivals H(t) reach k (constant arrivals) or reach a running
  // sum of Exp(1) gaps (Poisson arrivals: a Poisson process whose rate follows the profile). Each
  // due time is computed from that count, not by adding gaps in time, so rounding never drifts the
  // rate, and stages at rate 0 simply hold no arrivals.
  const exponential = () => -Math.log(1 - random());
  const constant = plan.arrival === "constant";
  let expected = constant ? 0 : exponential();
  const dueUs = () => startUs + profile.timeOfArea(expected) * 1e6;
  // A ring of intended times waiting for a slot, oldest first.
  const backlog = new Float64Array(Math.max(1, plan.backlog));
  let backlogHead = 0;
  let backlogSize = 0;
  let nextUs = dueUs();

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
      // An `once` workload sent all it had: nothing more is scheduled.
      if (sender.exhausted) {
        if (sender.inFlight === 0) finish();
        return;
      }
      while (backlogSize > 0 && sender.send(backlog[backlogHead]!)) {
        backlogHead = (backlogHead + 1) % backlog.length;
        backlogSize--;
      }
      const now = clock();
      while (nextUs <= now && nextUs < endUs) {
        if (backlogSize === 0 && sender.send(nextUs)) {
          if (tally.counts(nextUs)) tally.lag.record(clock() - nextUs);
        } else if (backlogSize < plan.backlog) {
          backlog[(backlogHead + backlogSize) % backlog.length] = nextUs;
          backlogSize++;
        } else {
          tally.onDrop(nextUs);
        }
        // Whole numbers stay exact in a double: the count does not drift either.
        expected += constant ? 1 : exponential();
        nextUs = dueUs();
      }
      if (nextUs < endUs) {
        alarm?.set(nextUs);
        return;
      }
      if (now > endUs + plan.drainUs) {
        // Requests that never got a slot before the end were never sent: they count as dropped.
        for (; backlogSize > 0; backlogSize--, backlogHead = (backlogHead + 1) % backlog.length) tally.onDrop(backlog[backlogHead]!);
      }
      // Requests in flight are waited for: each ends by its own timeout at the latest, so every sent
      // request has an outcome (sent = requests) however late the backlog let it go.
      if (backlogSize === 0 && sender.inFlight === 0) finish();
    };
    signal?.addEventListener("abort", finish);
    const timer = setInterval(dispatch, plan.tickMs ?? 1);
    sender.listener = { onSlotFree: dispatch };
    if (alarm) alarm.onRing = dispatch;
    dispatch();
  });
}
