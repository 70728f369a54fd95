import { encodeHistogram } from "./histogram.ts";
import type { Timeline } from "./intervals.ts";
import type { Phase, RunResult, TargetResult } from "./result.ts";
import { answered, latencyMs } from "./summary.ts";
import { statusCounts, type Tally, type TargetTally } from "./tally.ts";

/** A repeat's result, built from what its tally counted. */

/** Told to raise `ulimit -n` when connects failed for lack of file descriptors. */
const EMFILE_WARNING = "connections failed with EMFILE (out of file descriptors): raise the limit with `ulimit -n`";

function common(tally: Tally) {
  return {
    ...(tally.outOfFileDescriptors ? { warnings: [EMFILE_WARNING] } : {}),
    sent: tally.sent,
    requests: tally.requests,
    ok: tally.ok,
    dropped: tally.dropped,
    errors: { ...tally.errors },
    parseErrors: tally.parseErrorCounts(),
    retried: tally.retried,
    statuses: tally.statusCounts(),
    generator: tally.generator,
    checks: tally.checkCounts(),
    ...(tally.byTarget === null ? {} : { byTarget: tally.byTarget.map(targetResult) }),
    latencyMs: latencyMs(tally.latency.histogram),
    histogram: encodeHistogram(tally.latency.histogram),
  };
}

function targetResult(target: TargetTally): TargetResult {
  return {
    name: target.name,
    requests: target.requests,
    ok: target.ok,
    errors: { ...target.errors },
    statuses: statusCounts(target.statuses),
    latencyMs: latencyMs(target.latency.histogram),
    histogram: encodeHistogram(target.latency.histogram),
  };
}

/** Last in a run: the intervals are long, and a reader looks for the totals first. */
export const timelineFields = (timeline: Timeline | null) =>
  timeline ? { startedAt: new Date(timeline.startedAtMs).toISOString(), intervals: [...timeline.intervals] } : {};

export function closedResult(tally: Tally, phase: Phase, concurrency: number, repeat: number, interrupted: boolean, timeline: Timeline | null = null): RunResult {
  const durationS = tally.lastCompletionUs > tally.firstSendUs ? (tally.lastCompletionUs - tally.firstSendUs) / 1e6 : 0;
  return {
    phase,
    concurrency,
    targetRps: null,
    repeat,
    durationS,
    ...common(tally),
    throughputRps: durationS > 0 ? answered(tally) / durationS : 0,
    achievedRps: null,
    serviceTimeMs: null,
    ...(interrupted ? { interrupted } : {}),
    ...timelineFields(timeline),
  };
}

export function openResult(
  tally: Tally,
  point: { concurrency: number; rateRps: number },
  repeat: number,
  durationS: number,
  interrupted: boolean,
  timeline: Timeline | null = null,
): RunResult {
  const achievedRps = durationS > 0 ? tally.completedInWindow / durationS : 0;
  return {
    phase: "open",
    concurrency: point.concurrency,
    targetRps: point.rateRps,
    repeat,
    durationS,
    ...common(tally),
    throughputRps: achievedRps,
    achievedRps,
    serviceTimeMs: latencyMs(tally.service.histogram),
    serviceHistogram: encodeHistogram(tally.service.histogram),
    // Only requests that found a free connection when due have a lag; in overload there may be none,
    // and a distribution of nothing must not read as "no lag".
    ...(tally.lag.histogram.totalCount > 0 ? { schedulerLagMs: latencyMs(tally.lag.histogram) } : {}),
    ...(interrupted ? { interrupted } : {}),
    ...timelineFields(timeline),
  };
}
