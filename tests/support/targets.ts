/**
 * Runs of a request pool with per-target results, built from recorded latencies as the engine
 * reports them: a `byTarget` row per target beside the run's own counts, which are theirs together.
 */
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import type { ErrorCounts, RunResult, TargetResult } from "../../src/stats/result.ts";
import { addErrors, latencyMs, totalErrors, zeroErrors } from "../../src/stats/summary.ts";

export interface TargetSpec {
  name: string;
  /** Every response's latency; all of them 200. */
  latenciesUs: readonly number[];
  /** Failures without a latency. */
  errors?: Partial<ErrorCounts>;
}

function recorded(latenciesUs: readonly number[]) {
  const recorder = new LatencyRecorder();
  for (const us of latenciesUs) recorder.record(us);
  return { latencyMs: latencyMs(recorder.histogram), histogram: encodeHistogram(recorder.histogram) };
}

export function targetResult({ name, latenciesUs, errors = {} }: TargetSpec): TargetResult {
  const counted = { ...zeroErrors(), ...errors };
  return {
    name,
    requests: latenciesUs.length + totalErrors(counted),
    ok: latenciesUs.length,
    errors: counted,
    statuses: { "200": latenciesUs.length },
    ...recorded(latenciesUs),
  };
}

/** A closed-loop repeat of these targets. */
export function pooledRun(repeat: number, targets: readonly TargetSpec[], concurrency = 4): RunResult {
  const byTarget = targets.map(targetResult);
  const requests = byTarget.reduce((sum, target) => sum + target.requests, 0);
  const ok = byTarget.reduce((sum, target) => sum + target.ok, 0);
  return {
    phase: "closed",
    concurrency,
    targetRps: null,
    repeat,
    durationS: 1,
    sent: requests,
    requests,
    ok,
    dropped: 0,
    errors: byTarget.map((target) => target.errors).reduce(addErrors, zeroErrors()),
    statuses: { "200": ok },
    generator: "pool",
    checks: {},
    byTarget,
    throughputRps: requests,
    achievedRps: null,
    ...recorded(targets.flatMap((target) => target.latenciesUs)),
    serviceTimeMs: null,
  };
}
