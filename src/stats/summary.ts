/**
 * Summaries of measured runs: latency percentiles from a histogram, error arithmetic, and the
 * median-across-repeats view that sweeps and presets report. Pure: no clock, no I/O.
 */
import { decodeHistogram, encodeHistogram, mergeHistograms } from "./histogram.ts";
import type { Histogram } from "./histogram.ts";
import { ERROR_KINDS } from "./result.ts";
import type { ErrorCounts, LatencyMs, RunResult } from "./result.ts";
import { openVerdict, type LimitFinding, type OpenVerdict } from "./sustained.ts";

const US_PER_MS = 1000;

/**
 * Latency percentiles in milliseconds of a microsecond histogram; all zeros when it is empty.
 *
 * Every field comes from the bucket counts alone (min and max are the edges of their buckets,
 * within 0.1% of the true values), so a histogram reports the same numbers after an
 * encode/decode round trip or a merge as it did where it was recorded.
 */
export function latencyMs(histogram: Histogram): LatencyMs {
  if (histogram.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  const atPercentileMs = (percentile: number) => histogram.getValueAtPercentile(percentile) / US_PER_MS;
  return {
    min: atPercentileMs(0),
    mean: histogram.mean / US_PER_MS,
    p50: atPercentileMs(50),
    p90: atPercentileMs(90),
    p99: atPercentileMs(99),
    p999: atPercentileMs(99.9),
    max: atPercentileMs(100),
  };
}

/** Middle value (mean of the two middle ones for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Spread {
  min: number;
  max: number;
}

/** Smallest and largest value: the run-to-run noise band of a set of repeats. NaN for none. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, max: Number.NaN };
  let min = values[0]!;
  let max = values[0]!;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}

export function zeroErrors(): ErrorCounts {
  const errors = {} as ErrorCounts;
  for (const kind of ERROR_KINDS) errors[kind] = 0;
  return errors;
}

/** A new object; neither argument is modified. */
export function addErrors(a: ErrorCounts, b: ErrorCounts): ErrorCounts {
  const sum = {} as ErrorCounts;
  // Kinds added later (check) are absent from older documents: they count nothing there.
  for (const kind of ERROR_KINDS) sum[kind] = (a[kind] ?? 0) + (b[kind] ?? 0);
  return sum;
}

/** Responses received, whatever their status or checks: the latencies a histogram holds, what throughput counts. */
export const answered = (counts: { ok: number; errors: ErrorCounts }) =>
  counts.ok + counts.errors.status_4xx + counts.errors.status_5xx + (counts.errors.check ?? 0);

/** Counts by name (statuses, parse-error reasons) of several runs added up; absent ones count nothing. */
export function sumCounts(records: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const record of records) for (const [name, count] of Object.entries(record ?? {})) sum[name] = (sum[name] ?? 0) + count;
  return sum;
}

export function totalErrors(errors: ErrorCounts): number {
  let total = 0;
  for (const kind of ERROR_KINDS) total += errors[kind] ?? 0;
  return total;
}

export type LatencySpreadMs = Record<keyof LatencyMs, Spread>;

/**
 * The repeats of one measured point (one phase at one concurrency and one target rate).
 *
 * Rates and percentiles are medians across repeats, each with its min–max spread so a reader
 * can tell a real difference from run-to-run noise. Counts are sums. `merged` is the latency
 * of every request of every repeat together — the distribution behind the whole point.
 */
/** Which point, and its counts summed over the repeats: the same fields as a run's. */
type PointCounts = Pick<RunResult, "phase" | "concurrency" | "targetRps" | "requests" | "ok" | "dropped" | "errors" | "statuses" | "parseErrors" | "retried">;

export interface GroupSummary extends PointCounts {
  repeats: number;
  /** Median across repeats. */
  throughputRps: number;
  throughputRpsSpread: Spread;
  /** Median across repeats; null in closed loop (where the runs carry none). */
  achievedRps: number | null;
  achievedRpsSpread: Spread | null;
  /** Each percentile's median across repeats (a median of p99s, not the p99 of all requests). */
  latencyMs: LatencyMs;
  latencyMsSpread: LatencySpreadMs;
  /** Each percentile's median across repeats; null unless every repeat has a service time. */
  serviceTimeMs: LatencyMs | null;
  /** Open loop: every repeat delivered its target rate (see `stats/sustained.ts`); null in closed loop. */
  sustained: boolean | null;
  /** Open loop, not sustained: who was the limit (see `pointVerdict`). */
  limit?: LimitFinding;
  merged: {
    /** Compressed base64, microseconds: all repeats' latency histograms added. */
    histogram: string;
    latencyMs: LatencyMs;
  };
}

const LATENCY_FIELDS = ["min", "mean", "p50", "p90", "p99", "p999", "max"] as const satisfies readonly (keyof LatencyMs)[];

/**
 * One summary per (phase, concurrency, targetRps), in the order each group first appears in
 * `runs` — the order the plan ran them in.
 */
export function summarizeRepeats(runs: readonly RunResult[]): GroupSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.phase}|${run.concurrency}|${run.targetRps}`;
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  return [...groups.values()].map(summarizeGroup);
}

function summarizeGroup(runs: RunResult[]): GroupSummary {
  const first = runs[0]!;
  const throughputs = runs.map((run) => run.throughputRps);
  const achieved = runs.every((run) => run.achievedRps !== null) ? runs.map((run) => run.achievedRps!) : null;
  const serviceTimes = runs.every((run) => run.serviceTimeMs !== null) ? runs.map((run) => run.serviceTimeMs!) : null;
  const mergedHistogram = mergeHistograms(runs.map((run) => decodeHistogram(run.histogram)));

  let errors = zeroErrors();
  for (const run of runs) errors = addErrors(errors, run.errors);

  return {
    phase: first.phase,
    concurrency: first.concurrency,
    targetRps: first.targetRps,
    repeats: runs.length,
    requests: sum(runs.map((run) => run.requests)),
    ok: sum(runs.map((run) => run.ok)),
    dropped: sum(runs.map((run) => run.dropped)),
    errors,
    parseErrors: sumCounts(runs.map((run) => run.parseErrors)),
    retried: sum(runs.map((run) => run.retried ?? 0)),
    statuses: sumCounts(runs.map((run) => run.statuses)),
    throughputRps: median(throughputs),
    throughputRpsSpread: spread(throughputs),
    achievedRps: achieved ? median(achieved) : null,
    achievedRpsSpread: achieved ? spread(achieved) : null,
    latencyMs: medianLatency(runs.map((run) => run.latencyMs)),
    latencyMsSpread: latencySpread(runs.map((run) => run.latencyMs)),
    serviceTimeMs: serviceTimes ? medianLatency(serviceTimes) : null,
    ...groupVerdict(runs),
    merged: { histogram: encodeHistogram(mergedHistogram), latencyMs: latencyMs(mergedHistogram) },
  };
}

/**
 * What an open-loop point is judged on: sustained only when every repeat was; otherwise the verdict
 * of the repeat that fell short with the most responses (the most evidence of who was the limit).
 */
export function pointVerdict(runs: readonly RunResult[]): OpenVerdict | null {
  if (runs[0]?.phase !== "open") return null;
  const short = runs.map((run) => ({ run, verdict: openVerdict(run) })).filter(({ verdict }) => !verdict.sustained);
  if (short.length === 0) return openVerdict(runs[0]);
  return short.reduce((most, next) => (next.run.requests > most.run.requests ? next : most)).verdict;
}

function groupVerdict(runs: readonly RunResult[]): Pick<GroupSummary, "sustained" | "limit"> {
  const verdict = pointVerdict(runs);
  return { sustained: verdict?.sustained ?? null, ...(verdict?.limit ? { limit: verdict.limit } : {}) };
}

function medianLatency(latencies: readonly LatencyMs[]): LatencyMs {
  const result = {} as LatencyMs;
  for (const field of LATENCY_FIELDS) result[field] = median(latencies.map((latency) => latency[field]));
  return result;
}

function latencySpread(latencies: readonly LatencyMs[]): LatencySpreadMs {
  const result = {} as LatencySpreadMs;
  for (const field of LATENCY_FIELDS) result[field] = spread(latencies.map((latency) => latency[field]));
  return result;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
