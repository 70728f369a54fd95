import { decodeHistogram, mergeHistograms } from "./histogram.ts";
import type { ErrorCounts, Interval, LatencyMs, RunResult } from "./result.ts";
import { addErrors, latencyMs, zeroErrors } from "./summary.ts";
import { openVerdict } from "./sustained.ts";

/**
 * An open run in stages, stage by stage: each stage's counts and latencies are its intervals'
 * added together, so they add up to the run's, and each stage gets the sustained verdict of a run
 * of its own against the rate the stage asked for.
 */

/** Where a stage lies in the measured window, and what it asked for. */
export interface StageSpan {
  /** 1-based position in the list of stages (steps, which last no time, have no results). */
  stage: number;
  startS: number;
  durationS: number;
  /** The target moves linearly from one to the other over the stage. */
  fromRps: number;
  toRps: number;
}

export interface StageResult extends StageSpan {
  /** The stage's average target: the requests it scheduled by plan / its duration. */
  targetRps: number;
  sent: number;
  requests: number;
  ok: number;
  dropped: number;
  errors: ErrorCounts;
  /** Responses (any status) in the stage's intervals / their duration. */
  achievedRps: number;
  latencyMs: LatencyMs;
  sustained: boolean;
}

/**
 * An interval belongs to the stage its middle falls in, so a stage boundary that does not fall on
 * an interval boundary moves at most half an interval to one side or the other; intervals past the
 * last stage (the drain) belong to the last.
 */
export function stageResults(spans: readonly StageSpan[], intervals: readonly Interval[]): StageResult[] {
  const members = spans.map(() => [] as Interval[]);
  for (const interval of intervals) {
    const middleS = interval.startS + interval.durationS / 2;
    const at = spans.findIndex((span) => middleS < span.startS + span.durationS);
    members[at < 0 ? spans.length - 1 : at]?.push(interval);
  }
  return spans.map((span, i) => stageResult(span, members[i]!));
}

function stageResult(span: StageSpan, intervals: readonly Interval[]): StageResult {
  const sum = (count: (interval: Interval) => number) => intervals.reduce((total, interval) => total + count(interval), 0);
  const histogram = (pick: (interval: Interval) => string | undefined) => {
    const encoded = intervals.map(pick).filter((text): text is string => text !== undefined);
    return encoded.length === 0 ? null : mergeHistograms(encoded.map(decodeHistogram));
  };
  const latency = histogram((interval) => interval.histogram);
  const service = histogram((interval) => interval.serviceHistogram);
  const lag = histogram((interval) => interval.lagHistogram);
  const spanS = sum((interval) => interval.durationS);
  const counts = {
    targetRps: (span.fromRps + span.toRps) / 2,
    sent: sum((interval) => interval.sent),
    requests: sum((interval) => interval.requests),
    ok: sum((interval) => interval.ok),
    dropped: sum((interval) => interval.dropped),
    errors: intervals.reduce((errors, interval) => addErrors(errors, interval.errors), zeroErrors()),
    achievedRps: spanS > 0 ? sum((interval) => interval.achievedRps * interval.durationS) / spanS : 0,
  };
  const verdict = openVerdict({
    ...counts,
    serviceTimeMs: service === null ? null : latencyMs(service),
    ...(lag === null ? {} : { schedulerLagMs: latencyMs(lag) }),
  } satisfies Parameters<typeof openVerdict>[0]);
  return { ...span, ...counts, latencyMs: latencyMs(latency ?? mergeHistograms([])), sustained: verdict.sustained };
}

/** The run with its stages' results, when it ran in stages and recorded intervals. */
export function withStageResults(run: RunResult, spans: readonly StageSpan[] | null): RunResult {
  if (spans === null || run.intervals === undefined) return run;
  return { ...run, stages: stageResults(spans, run.intervals) };
}
