import { decodeHistogram, encodeHistogram, mergeHistograms } from "./histogram.ts";
import { mergeTimelines } from "./intervals.ts";
import { timelineFields } from "./run-result.ts";
import type { CheckCounts, LatencyMs, RunResult, TargetResult } from "./result.ts";
import { addErrors, latencyMs, sumCounts } from "./summary.ts";

/**
 * Combines runs measured at the same time by several load generators (threads, or machines
 * started together) into the run they make together: histograms added exactly, counts and
 * rates summed, the longest duration kept. Intervals are added by index, or by time with
 * `alignIntervalsByTime` (see `mergeTimelines`).
 */
export function mergeConcurrentRuns(runs: readonly RunResult[], alignIntervalsByTime = false): RunResult {
  const first = runs[0];
  if (first === undefined) throw new Error("mergeConcurrentRuns needs at least one run");
  if (runs.length === 1) return first;
  const sum = (pick: (run: RunResult) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const sumOrNull = (pick: (run: RunResult) => number | null) =>
    runs.every((run) => pick(run) !== null) ? sum((run) => pick(run)!) : null;

  const latency = mergeHistograms(runs.map((run) => decodeHistogram(run.histogram)));
  const serviceHistograms = runs.flatMap((run) => (run.serviceHistogram ? [run.serviceHistogram] : []));
  const service = serviceHistograms.length === runs.length ? mergeHistograms(serviceHistograms.map(decodeHistogram)) : null;
  const lags = runs.flatMap((run) => (run.schedulerLagMs ? [run.schedulerLagMs] : []));
  const timeline = runs.every((run) => run.intervals && run.startedAt)
    ? mergeTimelines(runs.map((run) => ({ startedAtMs: Date.parse(run.startedAt!), intervals: run.intervals! })), alignIntervalsByTime)
    : null;

  return {
    phase: first.phase,
    concurrency: sum((run) => run.concurrency),
    targetRps: sumOrNull((run) => run.targetRps),
    repeat: first.repeat,
    durationS: Math.max(...runs.map((run) => run.durationS)),
    sent: sum((run) => run.sent),
    requests: sum((run) => run.requests),
    ok: sum((run) => run.ok),
    dropped: sum((run) => run.dropped),
    errors: runs.map((run) => run.errors).reduce(addErrors),
    parseErrors: sumCounts(runs.map((run) => run.parseErrors)),
    retried: sum((run) => run.retried ?? 0),
    statuses: sumCounts(runs.map((run) => run.statuses)),
    ...(first.generator === undefined ? {} : { generator: first.generator }),
    ...(runs.some((run) => run.checks) ? { checks: mergeChecks(runs.map((run) => run.checks ?? {})) } : {}),
    ...(runs.some((run) => run.byTarget) ? { byTarget: mergeTargets(runs.map((run) => run.byTarget ?? [])) } : {}),
    throughputRps: sum((run) => run.throughputRps),
    achievedRps: sumOrNull((run) => run.achievedRps),
    latencyMs: latencyMs(latency),
    serviceTimeMs: service === null ? null : latencyMs(service),
    histogram: encodeHistogram(latency),
    ...(service === null ? {} : { serviceHistogram: encodeHistogram(service) }),
    // Lag is kept per generator, not as a histogram: the worst generator's is reported.
    ...(lags.length > 0 ? { schedulerLagMs: worst(lags) } : {}),
    ...(runs.some((run) => run.interrupted) ? { interrupted: true } : {}),
    ...(runs.some((run) => run.warnings) ? { warnings: [...new Set(runs.flatMap((run) => run.warnings ?? []))] } : {}),
    ...timelineFields(timeline),
  };
}

/** Check counts of several runs added name by name. */
export function mergeChecks(checks: readonly Record<string, CheckCounts>[]): Record<string, CheckCounts> {
  const sum: Record<string, CheckCounts> = {};
  for (const record of checks) {
    for (const [name, { passed, failed }] of Object.entries(record)) {
      const total = (sum[name] ??= { passed: 0, failed: 0 });
      total.passed += passed;
      total.failed += failed;
    }
  }
  // A script's failure name passed every response it was not returned for, in runs that never
  // returned it as well: what the script judged in all, less its failures.
  const judged = sum.script === undefined ? 0 : sum.script.passed + sum.script.failed;
  for (const [name, counts] of Object.entries(sum)) if (name.startsWith("script:")) counts.passed = judged - counts.failed;
  return sum;
}

/** Per-target results of several runs added group by group (by name, in order of first appearance), histograms exactly. */
export function mergeTargets(lists: readonly (readonly TargetResult[])[]): TargetResult[] {
  const byName = new Map<string, TargetResult[]>();
  for (const list of lists) for (const target of list) byName.set(target.name, [...(byName.get(target.name) ?? []), target]);
  return [...byName].map(([name, targets]) => {
    const histogram = mergeHistograms(targets.map((target) => decodeHistogram(target.histogram)));
    return {
      name,
      requests: targets.reduce((total, target) => total + target.requests, 0),
      ok: targets.reduce((total, target) => total + target.ok, 0),
      errors: targets.map((target) => target.errors).reduce(addErrors),
      statuses: sumCounts(targets.map((target) => target.statuses)),
      latencyMs: latencyMs(histogram),
      histogram: encodeHistogram(histogram),
    };
  });
}

function worst(latencies: readonly LatencyMs[]): LatencyMs {
  const pick = (key: keyof LatencyMs) => Math.max(...latencies.map((latency) => latency[key]));
  return { min: pick("min"), mean: pick("mean"), p50: pick("p50"), p90: pick("p90"), p99: pick("p99"), p999: pick("p999"), max: pick("max") };
}
