import { mergeChecks, mergeTargets } from "../stats/merge.ts";
import { OTHER_TARGETS, type LatencyMs, type RunResult } from "../stats/result.ts";
import type { SweepFindings } from "../stats/document.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { median, pointVerdict, totalErrors } from "../stats/summary.ts";
import { openVerdict, type OpenVerdict } from "../stats/sustained.ts";
import { droppedNote } from "../stats/warnings.ts";
import { limitWords } from "./narrative.ts";
import { formatCount, formatMs } from "../units.ts";
import type { ProbeStep, Slo } from "../schedule/capacity.ts";
import type { CapacityFindings } from "../stats/capacity-findings.ts";
import type { StageResult } from "../stats/stage-results.ts";

/** Human-readable tables for stderr: one row per repeat, then the median row of each group. */

const latencyCells = (latency: LatencyMs) => [latency.p50, latency.p90, latency.p99, latency.p999, latency.max].map(formatMs);
const LATENCY_HEADERS = ["p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"];

/** Columns of numbers, right-aligned; the first (a label) and those in `textColumns` left-aligned. */
export function renderTable(headers: string[], rows: string[][], textColumns: readonly number[] = []): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const left = (i: number) => i === 0 || textColumns.includes(i);
  const line = (cells: string[]) => cells.map((cell, i) => (left(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** The errors by kind (parse errors with their reasons), and the requests sent again after a lost connection. */
function errorNote(group: GroupSummary): string {
  const reasons = Object.entries(group.parseErrors ?? {}).map(([reason, count]) => `${reason} ${formatCount(count)}`);
  const parts = Object.entries(group.errors)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${formatCount(count)}${kind === "parse" && reasons.length > 0 ? ` (${reasons.join(", ")})` : ""}`);
  const retried = group.retried ? `retried ${formatCount(group.retried)} (sent again after the server closed their connection)` : "";
  return [parts.length > 0 ? `errors: ${parts.join(", ")}` : "", retried].filter(Boolean).join("; ");
}

/** A per-repeat count's median, the way the row labelled "median" must show it (not a mean). */
const medianOf = (runs: readonly RunResult[], count: (run: RunResult) => number) => formatCount(median(runs.map(count)));
const repeatLabel = (run: RunResult) => `#${run.repeat}${run.interrupted ? " (interrupted)" : ""}`;

/** Sums are labelled as sums, beside the medians. */
function totalsNote(group: GroupSummary, extra = ""): string {
  const repeats = `${group.repeats} repeat${group.repeats === 1 ? "" : "s"}`;
  return `total over ${repeats}: ${formatCount(group.requests)} requests, ${formatCount(totalErrors(group.errors))} errors${extra}`;
}

export function closedTable(runs: readonly RunResult[], group: GroupSummary): string {
  const rows = runs.map((run) => [
    repeatLabel(run),
    formatCount(run.requests),
    formatCount(totalErrors(run.errors)),
    formatCount(run.throughputRps),
    ...latencyCells(run.latencyMs),
  ]);
  const spread = group.throughputRpsSpread;
  rows.push([
    "median",
    medianOf(runs, (run) => run.requests),
    medianOf(runs, (run) => totalErrors(run.errors)),
    formatCount(group.throughputRps),
    ...latencyCells(group.latencyMs),
  ]);
  const table = renderTable(["repeat", "requests", "errors", "req/s", ...LATENCY_HEADERS], rows);
  const note = [`req/s range ${formatCount(spread.min)}–${formatCount(spread.max)}`, totalsNote(group), errorNote(group)].filter(Boolean).join("; ");
  return `${table}\n${note}`;
}

const sustainedCell = (sustained: boolean | null | undefined) => (sustained === null || sustained === undefined ? "" : sustained ? "yes" : "NO");

export function openTable(runs: readonly RunResult[], group: GroupSummary): string {
  const rows: string[][] = [];
  for (const run of runs) {
    const label = repeatLabel(run);
    const counts = [formatCount(run.achievedRps ?? 0), sustainedCell(openVerdict(run).sustained), formatCount(run.requests), formatCount(run.dropped), formatCount(totalErrors(run.errors))];
    rows.push([`${label} latency`, ...counts, ...latencyCells(run.latencyMs)]);
    if (run.serviceTimeMs) rows.push([`${label} service`, "", "", "", "", "", ...latencyCells(run.serviceTimeMs)]);
    rows.push(...(run.stages ?? []).map(stageRow));
  }
  rows.push([
    "median latency",
    formatCount(group.achievedRps ?? 0),
    sustainedCell(group.sustained),
    medianOf(runs, (run) => run.requests),
    medianOf(runs, (run) => run.dropped),
    medianOf(runs, (run) => totalErrors(run.errors)),
    ...latencyCells(group.latencyMs),
  ]);
  if (group.serviceTimeMs) rows.push(["median service", "", "", "", "", "", ...latencyCells(group.serviceTimeMs)]);
  const table = renderTable(["repeat", "achieved/s", "sustained", "requests", "dropped", "errors", ...LATENCY_HEADERS], rows);
  const lastLag = runs.at(-1)?.schedulerLagMs;
  const lag = lastLag
    ? `scheduler lag p50 ${formatMs(lastLag.p50)} ms, p99 ${formatMs(lastLag.p99)} ms (last repeat)`
    : "scheduler lag: not measured in the last repeat (no request found a free connection when it was due)";
  const legend = "latency: from the intended send time (coordinated omission corrected); service: from the actual send";
  const dropped = group.dropped > 0 ? droppedNote(group.dropped) : "";
  const totals = totalsNote(group, group.dropped > 0 ? `, ${formatCount(group.dropped)} dropped` : "");
  return [table, legend, dropped, ...verdictLines(pointVerdict(runs)), totals, lag, errorNote(group)].filter(Boolean).join("\n");
}

/** A stage of a run in stages, under its run: what it asked for, and whether it was sustained. */
function stageRow(stage: StageResult): string[] {
  const asked = stage.fromRps === stage.toRps ? `${formatCount(stage.toRps)}/s` : `${formatCount(stage.fromRps)}→${formatCount(stage.toRps)}/s`;
  const label = `  stage ${stage.stage} ${asked} (${formatS(stage.startS)}–${formatS(stage.startS + stage.durationS)} s)`;
  const counts = [formatCount(stage.achievedRps), sustainedCell(stage.sustained), formatCount(stage.requests), formatCount(stage.dropped), formatCount(totalErrors(stage.errors))];
  return [label, ...counts, ...latencyCells(stage.latencyMs)];
}

const formatS = (s: number) => String(Math.round(s * 10) / 10);

/** An unsustained point in words: what fell short, then who was the limit and why. */
export function verdictLines(verdict: OpenVerdict | null): string[] {
  if (verdict === null || verdict.sustained) return [];
  const [headline, ...shortfall] = verdict.shortfall;
  const lines = [`NOT SUSTAINED: ${headline}: ${shortfall.join(", ")}`];
  if (verdict.limit) lines.push(`the limit: ${limitWords(verdict.limit.by)}${verdict.limit.evidence.map((e) => `\n  ${e}`).join("")}`);
  return lines;
}

/** One row per concurrency, the best, knee and SLO points marked, so the knee is obvious. */
export function sweepTable(groups: readonly GroupSummary[], findings: SweepFindings): string {
  const top = Math.max(...groups.map((group) => group.throughputRps), 1);
  const rows = groups.map((group) => {
    const marks = [
      findings.best?.concurrency === group.concurrency ? "best" : "",
      findings.knee?.concurrency === group.concurrency ? "knee" : "",
      findings.slo?.point?.concurrency === group.concurrency ? `SLO p99 ≤ ${findings.slo.p99Ms} ms` : "",
    ].filter(Boolean);
    const spread = group.throughputRpsSpread;
    return [
      String(group.concurrency),
      formatCount(group.throughputRps),
      `${formatCount(spread.min)}–${formatCount(spread.max)}`,
      "█".repeat(Math.round((group.throughputRps / top) * 20)).padEnd(20),
      ...latencyCells(group.latencyMs).slice(0, 3),
      formatCount(totalErrors(group.errors)),
      marks.join(", "),
    ];
  });
  const table = renderTable(["concurrency", "req/s", "range", "", "p50 ms", "p90 ms", "p99 ms", "errors", ""], rows);
  const lines = [table];
  if (findings.best && findings.knee) {
    lines.push(
      `best: ${formatCount(findings.best.throughputRps)} req/s at concurrency ${findings.best.concurrency}; ` +
        `knee: concurrency ${findings.knee.concurrency} already reaches ${formatCount(findings.knee.throughputRps)} req/s (≥ 90% of best)`,
    );
  }
  if (findings.slo) {
    const point = findings.slo.point;
    lines.push(
      point
        ? `capacity within p99 ≤ ${findings.slo.p99Ms} ms: ${formatCount(point.throughputRps)} req/s at concurrency ${point.concurrency}`
        : `no concurrency met p99 ≤ ${findings.slo.p99Ms} ms`,
    );
  }
  return lines.join("\n");
}

const verdictCell = (probe: { pass: boolean; reasons: readonly string[] }) =>
  probe.pass ? "pass" : probe.reasons.some((reason) => reason.startsWith("inconclusive")) ? "FAIL?" : "FAIL";

/** One probe of a capacity search as it ends, for the live log: `probe 3 (bisect) 707 req/s: …, pass`. */
export function probeLine(step: ProbeStep, index: number, slo: Slo): string {
  const { result } = step;
  const measured = `achieved ${formatCount(result.achievedRps)} req/s, p50 ${formatMs(result.p50Ms)} ms, p99 ${formatMs(result.p99Ms)} ms (SLO ${formatMs(slo.p99Ms)} ms)`;
  const verdict = step.pass ? "pass" : `${verdictCell(step)}: ${step.reasons.join("; ")}`;
  return `probe ${index} (${step.stage}) ${formatCount(step.rateRps)} req/s for ${step.durationS} s: ${measured} → ${verdict}`;
}

/** Every probe of a capacity search, in order: rate, what it achieved, its latency, its verdict and why. */
export function capacityTable(findings: CapacityFindings): string {
  const rows = findings.probes.map((probe, i) => [
    String(i + 1),
    probe.step,
    formatCount(probe.rateRps),
    `${probe.durationS}`,
    formatCount(probe.achievedRps),
    formatMs(probe.p50Ms),
    formatMs(probe.p99Ms),
    formatCount(probe.errors),
    formatCount(probe.dropped),
    verdictCell(probe),
    probe.reasons.join("; "),
  ]);
  return renderTable(["probe", "step", "rate/s", "s", "achieved/s", "p50 ms", "p99 ms", "errors", "dropped", "verdict", "why"], rows, [1, 9, 10]);
}

/** Groups of targets shown in the terminal; the result document has them all. */
export const TARGET_ROWS = 10;

/**
 * The groups of targets with the most requests, over every repeat of one point (histograms
 * added), then the response checks' counts. Empty for a run of one fixed request without checks.
 */
export function workloadTable(runs: readonly RunResult[]): string {
  const parts: string[] = [];
  const targets = mergeTargets(runs.map((run) => run.byTarget ?? []));
  if (targets.length > 0) {
    const shown = [...targets].sort((a, b) => b.requests - a.requests).slice(0, TARGET_ROWS);
    const rows = shown.map((target) => [target.name, formatCount(target.requests), formatCount(totalErrors(target.errors)), ...latencyCells(target.latencyMs)]);
    const notes = [
      targets.length > shown.length ? `the ${TARGET_ROWS} of ${targets.length} target groups with the most requests` : "",
      targets.some((target) => target.name === OTHER_TARGETS) ? `${OTHER_TARGETS}: targets past the first ${targets.length - 1} groups, counted together` : "",
    ].filter(Boolean);
    parts.push(renderTable(["target", "requests", "errors", ...LATENCY_HEADERS], rows) + (notes.length > 0 ? `\n${notes.join("; ")}` : ""));
  }
  const checks = Object.entries(mergeChecks(runs.map((run) => run.checks ?? {})));
  if (checks.length > 0) parts.push(`checks: ${checks.map(([name, { passed, failed }]) => `${name} ${formatCount(passed)} passed, ${formatCount(failed)} failed`).join("; ")}`);
  return parts.join("\n");
}
