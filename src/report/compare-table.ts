import { METRIC_LABELS, type Comparison, type MetricComparison, type PointComparison, type TargetsComparison } from "../stats/compare.ts";
import { formatCount, formatMs } from "../units.ts";
import { renderTable } from "./table.ts";

/** The comparison for stderr: a table per matched point, then what the verdicts rest on. */

export interface Names {
  base: string;
  new: string;
}

export function formatMetricValue(metric: MetricComparison, value: number): string {
  return metric.unit === "req/s" ? formatCount(value) : formatMs(value);
}

export function formatChange(changePct: number | null): string {
  if (changePct === null || !Number.isFinite(changePct)) return "—";
  const digits = Math.abs(changePct) >= 10 ? 0 : 1;
  return `${changePct > 0 ? "+" : changePct < 0 ? "−" : "±"}${Math.abs(changePct).toFixed(digits)}%`;
}

export function formatNoise(noisePct: number | null): string {
  if (noisePct === null) return "—";
  if (!Number.isFinite(noisePct)) return "∞";
  return `${noisePct.toFixed(noisePct >= 10 ? 0 : 1)}%`;
}

export function formatPValue(pValue: number | null): string {
  if (pValue === null) return "—";
  return pValue < 0.001 ? "<0.001" : pValue.toFixed(3);
}

export function pointHeading(point: PointComparison): string {
  return `${point.label} · ${point.base.repeats} vs ${point.new.repeats} repeats`;
}

export function comparisonTable(comparison: Comparison, names: Names): string {
  const parts = comparison.points.map((point) => {
    const rows = point.metrics.map((metric) => [
      `${METRIC_LABELS[metric.metric]} ${metric.unit}`,
      formatMetricValue(metric, metric.base),
      formatMetricValue(metric, metric.new),
      formatChange(metric.changePct),
      formatNoise(metric.noisePct),
      formatPValue(metric.pValue),
      metric.verdict,
    ]);
    const table = renderTable(["metric", "base", "new", "change", "noise", "p", "verdict"], rows);
    const targets = point.byTarget ? `\n\nper target (p ≤ ${Number(point.byTarget.alphaPerMetric.toPrecision(2))} for a verdict)\n${renderTable(TARGET_HEADINGS, targetRows(point.byTarget))}` : "";
    return `${pointHeading(point)}\n${table}${targets}`;
  });
  const { settings } = comparison;
  const alpha = comparison.points[0]?.alphaPerMetric ?? settings.alpha;
  parts.push(
    [
      `base: ${names.base}   new: ${names.new}`,
      `base and new are medians across repeats; noise is the larger spread of the repeats (max − min, from 5 repeats on without the one farthest from the median) on either side.`,
      `A metric is faster or slower when the Mann–Whitney U test over the repeats gives p ≤ ${Number(alpha.toPrecision(2))} ` +
        `(α ${settings.alpha} shared by the metrics of a point) and the change is at least ${settings.minEffectPct}% and beyond the noise.`,
      ...unmatchedLines(comparison, names),
    ].join("\n"),
  );
  return parts.join("\n\n");
}

export function unmatchedLines(comparison: Comparison, names: Names): string[] {
  const { base, new: next } = comparison.unmatched;
  const targets = (point: PointComparison, side: "base" | "new") => point.byTarget?.unmatched[side].map((name) => `${name} (${point.label})`) ?? [];
  const baseTargets = comparison.points.flatMap((point) => targets(point, "base"));
  const newTargets = comparison.points.flatMap((point) => targets(point, "new"));
  return [
    ...(base.length > 0 ? [`only in ${names.base}: ${base.join(", ")}`] : []),
    ...(next.length > 0 ? [`only in ${names.new}: ${next.join(", ")}`] : []),
    ...(baseTargets.length > 0 ? [`targets only in ${names.base}: ${baseTargets.join(", ")}`] : []),
    ...(newTargets.length > 0 ? [`targets only in ${names.new}: ${newTargets.join(", ")}`] : []),
  ];
}

export const TARGET_HEADINGS = ["target", "p50 base", "p50 new", "change", "p99 base", "p99 new", "change", "verdict"];

/** A row per target: its p50 and p99 (ms) on each side, and the verdicts of its percentiles that are not "no significant change". */
export function targetRows(targets: TargetsComparison): string[][] {
  return targets.targets.map(({ name, metrics }) => {
    const cells = (metricName: MetricComparison["metric"]) => {
      const metric = metrics.find((m) => m.metric === metricName)!;
      return [formatMs(metric.base), formatMs(metric.new), formatChange(metric.changePct)];
    };
    const called = metrics.filter((m) => m.verdict === "faster" || m.verdict === "slower").map((m) => `${METRIC_LABELS[m.metric]} ${m.verdict}`);
    const verdict = called.length > 0 ? called.join(", ") : metrics.some((m) => m.verdict === "needs repeats") ? "needs repeats" : "no significant change";
    return [name, ...cells("p50"), ...cells("p99"), verdict];
  });
}
