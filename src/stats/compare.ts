/**
 * Comparing two result documents point by point: is the new one faster, slower, or within the
 * run-to-run noise the repeats measured? Pure: documents in, a comparison out.
 *
 * The evidence is the per-repeat values (one throughput, one p50, one p99 … per repeat), not the
 * requests inside a repeat: requests of one run share its machine state, so thousands of them
 * say little about how much the next run would differ. Repeats do.
 *
 * A metric is called faster or slower only when three things hold:
 *  1. a Mann–Whitney U test over the repeats rejects "same distribution" at α shared among the
 *     metrics of the point (Bonferroni), so six metrics do not give six chances of a false alarm;
 *  2. the medians differ by at least the minimum effect (5% by default): a real but trivial
 *     difference is not worth a verdict;
 *  3. the change is larger than the repeats' own spread on either side (max − min, relative to
 *     the median, leaving out the one repeat farthest from the median once there are 5 or more):
 *     a change inside the band one side wanders over by itself is not called.
 * The rank test is exact (every split of the pooled repeats is counted, ties get mid-ranks), needs
 * no assumption about the shape of the noise — latency tails are anything but normal — and
 * tells honestly when there are too few repeats for any verdict: with 5 a side and six metrics,
 * only "every new repeat beyond every base repeat" can reach significance; with 3 nothing can.
 */
import type { ResultDocument } from "./document.ts";
import type { LatencyMs, Phase, RunResult } from "./result.ts";
import { answered, median, spread, type Spread } from "./summary.ts";
import { formatCount } from "../units.ts";

export type MetricName = "throughput" | "p50" | "p90" | "p99" | "p999" | "max";
export type Verdict = "faster" | "slower" | "no significant change" | "needs repeats";

export interface CompareSettings {
  /** Chance of calling a change at one point when there is none, shared by its metrics. */
  alpha: number;
  /** Smallest change, in %, worth a verdict. */
  minEffectPct: number;
}

export const DEFAULT_COMPARE_SETTINGS: CompareSettings = { alpha: 0.05, minEffectPct: 5 };

export interface MetricComparison {
  metric: MetricName;
  unit: "req/s" | "ms";
  higherIsBetter: boolean;
  /** Medians across repeats, as the result document's summary reports them. */
  base: number;
  new: number;
  /** (new − base) / base in %; null when base is 0. */
  changePct: number | null;
  /** The larger of the two sides' spread across repeats, (max − min) / median in %. */
  noisePct: number | null;
  /** Exact two-sided Mann–Whitney U p-value; null when a side has no repeats. */
  pValue: number | null;
  verdict: Verdict;
  /** Each side's smallest and largest repeat: what a gate judges a change on when the repeats are too few for the test. */
  baseRange: Spread;
  newRange: Spread;
}

export interface PointSide {
  phase: Phase;
  concurrency: number;
  targetRps: number | null;
  repeats: number;
}

export interface PointComparison {
  /** How the point is named: `closed c=20`, `open 3,000 req/s`, `open 50% of capacity`. */
  label: string;
  phase: Phase;
  base: PointSide;
  new: PointSide;
  /** The p-value a metric needs at this point: α over the number of metrics. */
  alphaPerMetric: number;
  metrics: MetricComparison[];
  /** Request pools on both sides: their targets' latencies, compared by target name. */
  byTarget?: TargetsComparison;
}

/**
 * The targets of a point present on both sides, each target's latency percentiles compared over
 * the repeats as the point's are. α is shared by every metric of every target (Bonferroni again),
 * so ten targets do not give fifty chances of a false alarm; it takes more repeats to call a
 * change for one target than for the whole point. The gate (`--fail-regression`) judges the
 * point's own metrics only.
 */
export interface TargetsComparison {
  alphaPerMetric: number;
  targets: { name: string; metrics: MetricComparison[] }[];
  /** Target names present on one side only. */
  unmatched: { base: string[]; new: string[] };
}

export interface Comparison {
  settings: CompareSettings & { test: string };
  points: PointComparison[];
  /** Points present in one document only, by label. */
  unmatched: { base: string[]; new: string[] };
}

const LATENCY_METRICS = ["p50", "p90", "p99", "p999", "max"] as const satisfies readonly (MetricName & keyof LatencyMs)[];

export const METRIC_LABELS: Record<MetricName, string> = {
  throughput: "throughput",
  p50: "p50",
  p90: "p90",
  p99: "p99",
  p999: "p99.9",
  max: "max",
};

export function compareDocuments(base: ResultDocument, next: ResultDocument, settings: CompareSettings = DEFAULT_COMPARE_SETTINGS): Comparison {
  const basePoints = pointsOf(base);
  const newPoints = pointsOf(next);
  const pairs = matchPoints(basePoints, newPoints);
  const paired = new Set(pairs.flatMap(([b, n]) => [b, n]));
  return {
    settings: { ...settings, test: "exact Mann–Whitney U over repeats, α shared by the metrics of a point (Bonferroni)" },
    points: pairs.map(([b, n]) => comparePoint(b, n, settings)),
    unmatched: {
      base: basePoints.filter((p) => !paired.has(p)).map((p) => p.label),
      new: newPoints.filter((p) => !paired.has(p)).map((p) => p.label),
    },
  };
}

export type GateVerdict = "regression" | "no regression" | "cannot judge";

/**
 * What `--fail-regression PCT` makes of one metric. With enough repeats, the test's verdict: a
 * regression is "slower" by more than PCT. With too few, a change is judged only when no noise can
 * explain it: the two sides' min–max ranges lie apart by more than PCT of the base median (every
 * new repeat worse than every base repeat, and by that much). Anything else cannot be judged, and
 * a gate that cannot judge must not pass.
 */
export function gateVerdict(metric: MetricComparison, thresholdPct: number): GateVerdict {
  if (metric.verdict !== "needs repeats") {
    const worse = metric.verdict === "slower" && metric.changePct !== null && Math.abs(metric.changePct) > thresholdPct;
    return worse ? "regression" : "no regression";
  }
  const { baseRange, newRange } = metric;
  const scale = Math.abs(metric.base);
  if (!(scale > 0)) return "cannot judge";
  // Positive when new is entirely worse than base (gap between the ranges), in % of the base median.
  const worseGapPct = (100 * (metric.higherIsBetter ? baseRange.min - newRange.max : newRange.min - baseRange.max)) / scale;
  const betterGapPct = (100 * (metric.higherIsBetter ? newRange.min - baseRange.max : baseRange.min - newRange.max)) / scale;
  if (worseGapPct > thresholdPct) return "regression";
  if (betterGapPct > thresholdPct) return "no regression";
  return "cannot judge";
}

export interface GateFinding {
  point: PointComparison;
  metric: MetricComparison;
}

/** Metrics `--fail-regression` refuses, and those it cannot judge. */
export function gate(comparison: Comparison, thresholdPct: number): { regressions: GateFinding[]; unjudged: GateFinding[] } {
  const findings = comparison.points.flatMap((point) => point.metrics.map((metric) => ({ point, metric, verdict: gateVerdict(metric, thresholdPct) })));
  const pick = (verdict: GateVerdict) => findings.filter((f) => f.verdict === verdict).map(({ point, metric }) => ({ point, metric }));
  return { regressions: pick("regression"), unjudged: pick("cannot judge") };
}

/** Metrics that got worse by more than `thresholdPct` (see `gateVerdict`): what `--fail-regression` refuses. */
export function regressions(comparison: Comparison, thresholdPct: number): GateFinding[] {
  return gate(comparison, thresholdPct).regressions;
}

/** The fewest repeats a side for which the rank test can reach a verdict at this α per metric. */
export function repeatsForVerdict(alphaPerMetric: number): number {
  let n = 2;
  while (smallestPValue(n, n) > alphaPerMetric) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Matching points

/** One measured point of a document with its repeats. */
interface Point {
  label: string;
  /** Exact identity; points with equal keys are the same experiment. */
  key: string;
  phase: Phase;
  concurrency: number;
  targetRps: number | null;
  runs: RunResult[];
}

function pointsOf(document: ResultDocument): Point[] {
  const levels = document.summary.preset?.levels ?? [];
  return document.summary.groups.map((group) => {
    const runs = document.runs.filter((r) => r.phase === group.phase && r.concurrency === group.concurrency && r.targetRps === group.targetRps);
    // A sweep point and a closed run at the same concurrency are the same closed-loop experiment.
    const loop = group.phase === "open" ? "open" : "closed";
    const level = group.phase === "open" ? levels.find((l) => l.targetRps === group.targetRps) : undefined;
    let key: string;
    let label: string;
    if (level) {
      // Presets derive their rates from a capacity calibrated on each run: the level is the identity.
      key = `open|level ${level.fraction}`;
      label = `open ${Number((level.fraction * 100).toPrecision(3))}% of capacity`;
    } else if (group.phase === "open") {
      key = `open|${group.targetRps}|${group.concurrency}`;
      label = `open ${formatCount(group.targetRps ?? 0)} req/s`;
    } else {
      key = `${loop}|${group.concurrency}`;
      label = `${group.phase} c=${group.concurrency}`;
    }
    return { label, key, phase: group.phase, concurrency: group.concurrency, targetRps: group.targetRps, runs };
  });
}

/**
 * Base points paired with new points of the same key. An open-loop point left over is paired with
 * the only leftover at the same rate: its in-flight cap is a limit, not what was measured.
 */
function matchPoints(basePoints: Point[], newPoints: Point[]): [Point, Point][] {
  const pairs: [Point, Point][] = [];
  const free = new Set(newPoints);
  const leftover: Point[] = [];
  for (const b of basePoints) {
    const n = newPoints.find((p) => free.has(p) && p.key === b.key);
    if (n) {
      pairs.push([b, n]);
      free.delete(n);
    } else leftover.push(b);
  }
  for (const b of leftover) {
    if (b.phase !== "open") continue;
    const sameRate = (points: Iterable<Point>) => [...points].filter((p) => p.phase === "open" && p.targetRps === b.targetRps);
    const candidates = sameRate(free);
    if (candidates.length === 1 && sameRate(leftover).length === 1) {
      pairs.push([b, candidates[0]!]);
      free.delete(candidates[0]!);
    }
  }
  // Keep the base document's order: the order its plan ran in.
  return pairs.sort((x, y) => basePoints.indexOf(x[0]) - basePoints.indexOf(y[0]));
}

// ---------------------------------------------------------------------------------------------
// Comparing one point

function comparePoint(b: Point, n: Point, settings: CompareSettings): PointComparison {
  const metricNames: MetricName[] = ["throughput", ...LATENCY_METRICS];
  const alphaPerMetric = settings.alpha / metricNames.length;
  const side = (p: Point): PointSide => ({ phase: p.phase, concurrency: p.concurrency, targetRps: p.targetRps, repeats: p.runs.length });
  // Matched points may still differ in what was asked for (a preset's calibrated rates, an open-loop cap): say so.
  const rate = (rps: number | null) => formatCount(rps ?? 0);
  const differences = [
    ...(b.targetRps !== n.targetRps ? [`offered ${rate(b.targetRps)} vs ${rate(n.targetRps)} req/s`] : []),
    ...(b.concurrency !== n.concurrency ? [`cap ${b.concurrency} vs ${n.concurrency}`] : []),
  ];
  const byTarget = compareTargets(b.runs, n.runs, settings);
  return {
    label: differences.length > 0 ? `${b.label} (${differences.join(", ")})` : b.label,
    phase: b.phase,
    base: side(b),
    new: side(n),
    alphaPerMetric,
    metrics: metricNames.map((metric) => compareMetric(metric, valuesOf(b.runs, metric), valuesOf(n.runs, metric), alphaPerMetric, settings.minEffectPct)),
    ...(byTarget ? { byTarget } : {}),
  };
}

/** Targets by name, in the base's order; null unless both sides ran a request pool. */
function compareTargets(baseRuns: RunResult[], newRuns: RunResult[], settings: CompareSettings): TargetsComparison | null {
  if (!baseRuns.some((run) => run.byTarget) || !newRuns.some((run) => run.byTarget)) return null;
  const names = (runs: RunResult[]) => [...new Set(runs.flatMap((run) => (run.byTarget ?? []).map((target) => target.name)))];
  const baseNames = names(baseRuns);
  const newNames = names(newRuns);
  const shared = baseNames.filter((name) => newNames.includes(name));
  const alphaPerMetric = settings.alpha / Math.max(1, LATENCY_METRICS.length * shared.length);
  // Each repeat that sent to the target gives one value per percentile.
  const values = (runs: RunResult[], name: string, metric: (typeof LATENCY_METRICS)[number]) =>
    runs.flatMap((run) => run.byTarget?.filter((target) => target.name === name && answered(target) > 0).map((target) => target.latencyMs[metric]) ?? []);
  return {
    alphaPerMetric,
    targets: shared.map((name) => ({
      name,
      metrics: LATENCY_METRICS.map((metric) => compareMetric(metric, values(baseRuns, name, metric), values(newRuns, name, metric), alphaPerMetric, settings.minEffectPct)),
    })),
    unmatched: { base: baseNames.filter((name) => !newNames.includes(name)), new: newNames.filter((name) => !baseNames.includes(name)) },
  };
}

function valuesOf(runs: RunResult[], metric: MetricName): number[] {
  // Open loop: what was delivered (achieved rate), not the rate asked for.
  if (metric === "throughput") return runs.map((run) => run.achievedRps ?? run.throughputRps);
  return runs.map((run) => run.latencyMs[metric]);
}

/** One metric's verdict from its per-repeat values on each side. */
export function compareMetric(metric: MetricName, baseValues: number[], newValues: number[], alphaPerMetric: number, minEffectPct: number): MetricComparison {
  const higherIsBetter = metric === "throughput";
  const base = median(baseValues);
  const next = median(newValues);
  const changePct = base !== 0 && Number.isFinite(base) && Number.isFinite(next) ? (100 * (next - base)) / base : null;
  const noisePct = baseValues.length > 0 && newValues.length > 0 ? Math.max(relativeSpreadPct(baseValues), relativeSpreadPct(newValues)) : null;
  const pValue = baseValues.length > 0 && newValues.length > 0 ? mannWhitneyPValue(baseValues, newValues) : null;

  let verdict: Verdict;
  if (pValue === null || smallestPValue(baseValues.length, newValues.length) > alphaPerMetric) verdict = "needs repeats";
  else if (changePct === null || noisePct === null) verdict = "no significant change";
  else {
    const size = Math.abs(changePct);
    const significant = pValue <= alphaPerMetric && size >= minEffectPct && size > noisePct;
    verdict = !significant ? "no significant change" : changePct > 0 === higherIsBetter ? "faster" : "slower";
  }
  return { metric, unit: higherIsBetter ? "req/s" : "ms", higherIsBetter, base, new: next, changePct, noisePct, pValue, verdict, baseRange: spread(baseValues), newRange: spread(newValues) };
}

/** Past this many repeats, the one farthest from the median is left out of the noise band. */
const TRIM_FROM_REPEATS = 5;

/**
 * (max − min) / |median| in %: 0 for a single repeat, infinite around a zero median. From 5 repeats
 * on, without the repeat farthest from the median: one repeat disturbed by something else on the
 * machine (a stall, another process's burst) should not widen the band enough to hide a change
 * every other repeat shows. The rank test still sees that repeat.
 */
function relativeSpreadPct(all: number[]): number {
  const middle = Math.abs(median(all));
  const values = all.length >= TRIM_FROM_REPEATS ? withoutFarthest(all, median(all)) : all;
  const range = Math.max(...values) - Math.min(...values);
  if (range === 0) return 0;
  return middle === 0 ? Number.POSITIVE_INFINITY : (100 * range) / middle;
}

function withoutFarthest(values: number[], center: number): number[] {
  let farthest = 0;
  values.forEach((value, i) => {
    if (Math.abs(value - center) > Math.abs(values[farthest]! - center)) farthest = i;
  });
  return values.filter((_, i) => i !== farthest);
}

// ---------------------------------------------------------------------------------------------
// The rank test

/** Past this many pooled repeats the exact count gives way to the normal approximation. */
const EXACT_LIMIT = 60;

/**
 * The smallest two-sided p-value `n` against `m` repeats can give: every value of one side beyond
 * every value of the other, 2 / C(n + m, n). Above the α a metric needs, no verdict is possible.
 */
export function smallestPValue(n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  let ways = 1;
  for (let i = 1; i <= Math.min(n, m); i++) ways = (ways * (n + m - Math.min(n, m) + i)) / i;
  return Math.min(1, 2 / ways);
}

/**
 * Two-sided p-value of the Mann–Whitney U (Wilcoxon rank-sum) test: the share of all ways to split
 * the pooled values into groups of these sizes whose rank sum is at least as far from its
 * expectation as the observed one. Ties get mid-ranks and are counted exactly, which matters here:
 * HdrHistogram percentiles fall on bucket edges, so equal values across repeats are common.
 */
export function mannWhitneyPValue(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const total = n + b.length;
  if (n === 0 || b.length === 0) return 1;
  const pooled = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))].sort((x, y) => x.value - y.value);
  // Doubled mid-ranks are integers: (i + 1) + (j + 1) for a run of ties from i to j.
  const ranks2 = new Array<number>(total);
  for (let i = 0; i < total; ) {
    let j = i;
    while (j + 1 < total && pooled[j + 1]!.value === pooled[i]!.value) j++;
    for (let k = i; k <= j; k++) ranks2[k] = i + j + 2;
    i = j + 1;
  }
  let observed2 = 0;
  pooled.forEach((item, i) => {
    if (item.first) observed2 += ranks2[i]!;
  });
  const expected2 = n * (total + 1);
  const distance = Math.abs(observed2 - expected2);
  if (distance === 0) return 1;
  return total <= EXACT_LIMIT ? exactTail(ranks2, n, expected2, distance) : normalTail(ranks2, n, observed2, expected2);
}

/** Counts, over every choice of `n` of the ranks, how many sums lie `distance` or more from the expectation. */
function exactTail(ranks2: number[], n: number, expected2: number, distance: number): number {
  const maxSum = ranks2.reduce((sum, r) => sum + r, 0);
  // ways[j][s]: the number of ways to choose j of the ranks seen so far with doubled sum s.
  const ways = Array.from({ length: n + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  for (const rank of ranks2) {
    for (let j = n; j >= 1; j--) {
      const from = ways[j - 1]!;
      const to = ways[j]!;
      for (let s = maxSum - rank; s >= 0; s--) if (from[s] !== 0) to[s + rank]! += from[s]!;
    }
  }
  let all = 0;
  let extreme = 0;
  ways[n]!.forEach((count, sum) => {
    all += count;
    if (Math.abs(sum - expected2) >= distance) extreme += count;
  });
  return Math.min(1, extreme / all);
}

/** Large samples: the rank sum is close to normal; variance corrected for ties, with continuity correction. */
function normalTail(ranks2: number[], n: number, observed2: number, expected2: number): number {
  const total = ranks2.length;
  const m = total - n;
  const meanRank = (total + 1) / 2;
  const variance = ((n * m) / (total * (total - 1))) * ranks2.reduce((sum, r2) => sum + (r2 / 2 - meanRank) ** 2, 0);
  if (variance === 0) return 1;
  const z = Math.max(0, Math.abs(observed2 - expected2) / 2 - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * (1 - standardNormalCdf(z)));
}

/** Φ(z) for z ≥ 0 (Abramowitz–Stegun 26.2.17, error below 7.5e-8). */
function standardNormalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * z);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return 1 - (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
}
