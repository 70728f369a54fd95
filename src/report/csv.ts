import type { GroupSummary } from "../stats/summary.ts";
import { totalErrors } from "../stats/summary.ts";

export const CSV_COLUMNS = [
  "batch_ts", "phase", "profile", "url", "concurrency", "target_rps", "achieved_rps", "throughput_rps", "repeats",
  "requests", "ok", "errors", "dropped", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
  // Appended after the contract's columns, never inserted: open loop only, empty in closed loop.
  "sustained",
] as const;

export interface CsvContext {
  batchTs: string;
  url: string;
  profile: string;
  /** The phase as written, e.g. `closed_sweep` in presets. */
  phaseName?: (group: GroupSummary) => string;
}

type Cell = string | number | null;

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double the quotes inside. */
export function csvField(value: Cell): string {
  if (value === null) return "";
  const text = typeof value === "number" ? String(Math.round(value * 1000) / 1000) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(group: GroupSummary, context: CsvContext): string {
  const latency = group.latencyMs;
  const cells: Cell[] = [
    context.batchTs,
    context.phaseName ? context.phaseName(group) : group.phase,
    context.profile,
    context.url,
    group.concurrency,
    group.targetRps,
    group.achievedRps,
    group.throughputRps,
    group.repeats,
    group.requests,
    group.ok,
    totalErrors(group.errors),
    group.dropped,
    latency.mean,
    latency.p50,
    latency.p90,
    latency.p99,
    latency.p999,
    latency.max,
    group.sustained === null ? null : String(group.sustained),
  ];
  return cells.map(csvField).join(",");
}

export function csv(groups: readonly GroupSummary[], context: CsvContext): string {
  return [CSV_COLUMNS.join(","), ...groups.map((group) => csvRow(group, context))].join("\r\n") + "\r\n";
}
