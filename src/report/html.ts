/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, nothing fetched), so it can be
 * mailed, archived and opened years later, offline. Its one script, uPlot embedded with the charts
 * over time, only makes those interactive: without it every chart is still there, as SVG.
 *
 * Curves are drawn from the histograms — the real data — not from the handful of percentiles in
 * the summaries; tables show the summaries (medians across repeats), as the terminal does.
 */
import { capacityExceeded, type ResultDocument } from "../stats/document.ts";
import { writeAtomically } from "./files.ts";
import { decodeHistogram, mergeHistograms } from "../stats/histogram.ts";
import type { Histogram } from "../stats/histogram.ts";
import { ERROR_KINDS } from "../stats/result.ts";
import type { LatencyMs, RunResult } from "../stats/result.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { pointVerdict, totalErrors } from "../stats/summary.ts";
import { runsOfGroup, targetSummaries, type TargetSummary } from "../stats/by-target.ts";
import { droppedNote } from "../stats/warnings.ts";
import { verdictLines } from "./table.ts";
import { formatCount, formatMs } from "../units.ts";
import { capacityFigure } from "./capacity-chart.ts";
import { compact, esc, lineChart } from "./svg-chart.ts";
import { timeChartAssets, timeChartDataBlock, timeFigures, type TimeFigure } from "./time-chart.ts";
import type { Axis, Chart, Guide, Mark, Point, Series, Tick } from "./svg-chart.ts";

export function renderHtmlReport(document: ResultDocument): string {
  const overTime = timeFigures(document, (group) => pointName(group, document));
  const body = [header(document), keyFigures(document), charts(document, overTime), tables(document), targetsSection(document), footer(document)].join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`minibench ${modeName(document)} — ${document.url}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
${overTime.length > 0 ? timeChartAssets() : ""}
</body>
</html>
`;
}

/** For `--report PATH` and `minibench report`: the whole file or nothing. */
export function writeHtmlReport(document: ResultDocument, path: string): void {
  writeAtomically(path, renderHtmlReport(document));
}

// ---------------------------------------------------------------------------------------------
// Text

const rps = (value: number | null) => (value === null || !Number.isFinite(value) ? "—" : formatCount(value));
const percent = (fraction: number) => `${Number((fraction * 100).toPrecision(3))}%`;

function modeName(document: ResultDocument): string {
  switch (document.mode) {
    case "closed":
      return "closed loop";
    case "open":
      return "open loop";
    case "sweep":
      return "concurrency sweep";
    case "preset":
      return `preset ${document.summary.preset?.profile ?? ""}`.trim();
    case "capacity":
      return "capacity under an SLO";
  }
}

/** How a measured point is named in legends and tables. */
function pointName(point: Pick<GroupSummary, "phase" | "concurrency" | "targetRps">, document: ResultDocument): string {
  if (point.phase !== "open" || point.targetRps === null) return `c=${point.concurrency}`;
  const level = document.summary.preset?.levels.find((l) => l.targetRps === point.targetRps);
  return `${level ? `${percent(level.fraction)} · ` : ""}${formatCount(point.targetRps)} req/s`;
}

// ---------------------------------------------------------------------------------------------
// Header, key figures, footer

function header(document: ResultDocument): string {
  const meta: [string, string][] = [
    ["URL", `<code>${esc(document.url)}</code>`],
    ["mode", esc(modeName(document))],
    ["started", esc(document.startedAt)],
    ["minibench", esc(document.version)],
    ...generatorMeta(document),
  ];
  const options = flattenOptions(document.options)
    .map(([key, value]) => `<span class="option"><span>${esc(key)}</span> ${esc(value)}</span>`)
    .join(" ");
  const interrupted = document.summary.interrupted
    ? `<p class="warning">Stopped early: everything below was measured, but over less time than planned.</p>`
    : "";
  return `<header>
<h1>minibench · ${esc(modeName(document))}</h1>
<dl class="meta">${meta.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
${options ? `<p class="options">${options}</p>` : ""}
${interrupted}
</header>`;
}

/** Nested options (a preset's profile) as dotted keys: one long JSON blob would not wrap or read. */
function flattenOptions(options: Record<string, unknown>, prefix = ""): [string, string][] {
  return Object.entries(options).flatMap(([key, value]): [string, string][] => {
    const name = `${prefix}${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return flattenOptions(value as Record<string, unknown>, `${name}.`);
    if (Array.isArray(value)) return [[name, value.map((item) => (typeof item === "object" ? JSON.stringify(item) : String(item))).join(", ")]];
    return [[name, value === null || value === undefined ? "—" : String(value)]];
  });
}

interface Figure {
  label: string;
  value: string;
  note: string;
}

/** The few numbers a reader looks for first, chosen by what kind of run it was. */
function keyFigures(document: ResultDocument): string {
  const { groups, sweep, preset } = document.summary;
  const figures: Figure[] = [];
  const at = (point: { concurrency: number; throughputRps: number } | null | undefined) =>
    point ? { value: `${formatCount(point.throughputRps)} req/s`, note: `at concurrency ${point.concurrency}` } : { value: "—", note: "no throughput measured" };
  if (preset) {
    const knee = sweep?.knee ? `, knee at concurrency ${sweep.knee.concurrency}` : "";
    figures.push({ label: "capacity", value: `${formatCount(preset.capacityRps)} req/s`, note: preset.calibration === "capacity" ? "highest open-loop rate within the SLO" : `best of the calibration sweep${knee}` });
    for (const level of preset.levels) {
      const group = groups.find((g) => g.phase === "open" && g.targetRps === level.targetRps);
      if (!group) continue;
      // Share of the offered requests, as the terminal narrative counts it.
      const offered = group.requests + group.dropped;
      const share = offered > 0 ? (100 * group.dropped) / offered : 0;
      const dropped = share > 0 ? `, ${share.toFixed(share < 10 ? 1 : 0)}% dropped` : "";
      figures.push({
        label: `at ${percent(level.fraction)} of capacity`,
        value: group.sustained === false ? "not sustained" : `p99 ${formatMs(group.latencyMs.p99)} ms`,
        note: `${rps(group.achievedRps)} of ${rps(level.targetRps)} req/s${dropped}${capacityExceeded(preset, group) ? ", above the calibrated capacity" : ""}`,
      });
    }
  } else if (sweep) {
    figures.push({ label: "best throughput", ...at(sweep.best) });
    figures.push({ label: "knee", ...at(sweep.knee), note: sweep.knee ? `≥ 90% of best from concurrency ${sweep.knee.concurrency}` : "—" });
    if (sweep.slo) figures.push({ label: `within p99 ≤ ${formatMs(sweep.slo.p99Ms)} ms`, ...at(sweep.slo.point) });
  }
  if (!sweep && !preset && groups.length === 1) {
    const group = groups[0]!;
    const repeats = `median of ${group.repeats} repeat${group.repeats === 1 ? "" : "s"}`;
    if (group.phase === "open") {
      const verdict = group.sustained === false ? "not sustained" : "sustained";
      figures.push({ label: "achieved", value: `${rps(group.achievedRps)} req/s`, note: `of ${rps(group.targetRps)} req/s offered: ${verdict}` });
    } else {
      const spread = group.throughputRpsSpread;
      figures.push({ label: "throughput", value: `${rps(group.throughputRps)} req/s`, note: group.repeats > 1 ? `${repeats}, range ${compact(spread.min)}–${compact(spread.max)}` : repeats });
    }
    figures.push({ label: "p50 latency", value: `${formatMs(group.latencyMs.p50)} ms`, note: repeats });
    figures.push({ label: "p99 latency", value: `${formatMs(group.latencyMs.p99)} ms`, note: group.serviceTimeMs ? `service time ${formatMs(group.serviceTimeMs.p99)} ms` : repeats });
    const errors = totalErrors(group.errors);
    figures.push({ label: "errors", value: formatCount(errors), note: `of ${formatCount(group.requests)} requests${group.dropped > 0 ? `, ${formatCount(group.dropped)} dropped` : ""}` });
  }
  if (figures.length === 0) return "";
  const cards = figures.map((f) => `<div class="figure"><div class="label">${esc(f.label)}</div><div class="value">${esc(f.value)}</div><div class="note">${esc(f.note)}</div></div>`);
  return `<section class="figures">${cards.join("")}</section>`;
}

function footer(document: ResultDocument): string {
  const openLoop = document.summary.groups.some((group) => group.phase === "open");
  const notes = [
    "Table percentiles are medians across repeats; curves are drawn from the histograms of all repeats merged.",
    openLoop
      ? "Open-loop latency is measured from the intended send time (coordinated omission corrected); service time from the actual send, as a closed-loop tool would report it."
      : "",
  ].filter(Boolean);
  return `<footer>${notes.map((note) => `<p>${esc(note)}</p>`).join("")}<p>Generated by minibench from a result document (schema ${esc(String(document.schemaVersion))}).</p></footer>`;
}

// ---------------------------------------------------------------------------------------------
// Charts: which curves the document has

export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;

function charts(document: ResultDocument, overTime: readonly TimeFigure[]): string {
  const { groups } = document.summary;
  const figures: string[] = [];
  const sweepGroups = sortedBy(groups.filter((g) => g.phase === "sweep"), (g) => g.concurrency);
  const openGroups = sortedBy(groups.filter((g) => g.phase === "open" && g.targetRps !== null), (g) => g.targetRps!);
  // A preset's story is its open-loop levels; its calibration sweep has its own charts.
  const curveGroups = openGroups.length > 0 ? openGroups : groups;
  const capacity = document.summary.capacity;
  if (capacity) {
    const search = capacityFigure(capacity);
    figures.push(figure(search.title, search.caption, true, search.chart));
  }
  if (curveGroups.length > 0) figures.push(percentileChart(document, curveGroups));
  if (sweepGroups.length >= 2) figures.push(...sweepCharts(document, sweepGroups));
  if (openGroups.length >= 2) figures.push(...offeredLoadCharts(document, openGroups));
  for (const time of overTime) figures.push(timeFigure(time));
  if (figures.length === 0) return "";
  return `<section><h2>Charts</h2><div class="charts">${figures.join("\n")}</div></section>`;
}

function sortedBy<T>(items: T[], key: (item: T) => number): T[] {
  return [...items].sort((a, b) => key(a) - key(b));
}

/**
 * Percentile → x as HdrHistogram's plotter draws it: x = log10(1 / (1 − p)), so 90%, 99%, 99.9%…
 * are equally spaced and the tail, where the story usually is, gets most of the width.
 */
const NINES_STEP = 0.05;

export function percentileCurve(histogram: Histogram): Point[] {
  if (histogram.totalCount === 0) return [];
  // Past 1/(1 − p) = N samples a percentile says nothing new: the curve ends at the max there.
  const lastX = Math.log10(histogram.totalCount);
  const points: Point[] = [];
  for (let i = 0; i * NINES_STEP < lastX; i++) {
    const x = i * NINES_STEP;
    points.push({ x, y: histogram.getValueAtPercentile(100 * (1 - 10 ** -x)) / 1000 });
  }
  points.push({ x: lastX, y: histogram.getValueAtPercentile(100) / 1000 });
  return points;
}

export function ninesTicks(lastX: number): Tick[] {
  const ticks: Tick[] = [];
  for (let nines = 0; nines <= Math.max(1, Math.ceil(lastX - 1e-9)); nines++) {
    ticks.push({ value: nines, label: nines === 0 ? "0%" : `${(100 * (1 - 10 ** -nines)).toFixed(Math.max(0, nines - 2))}%` });
  }
  return ticks;
}

function runsOf(document: ResultDocument, group: GroupSummary): RunResult[] {
  return document.runs.filter((r) => r.phase === group.phase && r.concurrency === group.concurrency && r.targetRps === group.targetRps);
}

/** The service-time histogram of a group: summaries carry only the latency one merged. */
function serviceHistogram(document: ResultDocument, group: GroupSummary): Histogram | null {
  const encoded = runsOf(document, group).flatMap((run) => (run.serviceHistogram ? [run.serviceHistogram] : []));
  return encoded.length > 0 ? mergeHistograms(encoded.map(decodeHistogram)) : null;
}

function percentileChart(document: ResultDocument, groups: GroupSummary[]): string {
  const series: Series[] = [];
  groups.forEach((group, i) => {
    const name = groups.length > 1 || group.phase === "open" ? pointName(group, document) : "latency";
    series.push({ label: group.phase === "open" ? `${name} latency` : name, color: colour(i), points: percentileCurve(decodeHistogram(group.merged.histogram)) });
    const service = group.phase === "open" ? serviceHistogram(document, group) : null;
    if (service) series.push({ label: `${name} service time`, color: colour(i), dashed: true, points: percentileCurve(service) });
  });
  const lastX = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const caption = groups.some((g) => g.phase === "open")
    ? "Solid: latency from the intended send time. Dashed: service time from the actual send."
    : "Latency from send to complete response, all repeats merged.";
  return figure("Latency by percentile", caption, true, {
    width: 1060,
    height: 380,
    x: { label: "percentile", ticks: ninesTicks(lastX), min: 0, max: ninesTicks(lastX).at(-1)!.value },
    y: { label: "latency (ms)", format: compact },
    series,
  });
}

function sweepCharts(document: ResultDocument, groups: GroupSummary[]): string[] {
  const findings = document.summary.sweep;
  const concurrencyAxis: Axis = { label: "concurrency (connections, log scale)", log: true, ticks: thinned(groups.map((g) => ({ value: g.concurrency, label: compact(g.concurrency) }))), pad: 0.04 };
  const find = (c: number | undefined) => groups.find((g) => g.concurrency === c);
  const bestGroup = find(findings?.best?.concurrency);
  const kneeGroup = find(findings?.knee?.concurrency);
  const sloGroup = find(findings?.slo?.point?.concurrency);
  const marksAt = (y: (g: GroupSummary) => number): Mark[] => {
    const marks: Mark[] = [];
    if (kneeGroup && kneeGroup === bestGroup) marks.push({ x: kneeGroup.concurrency, y: y(kneeGroup), label: `best = knee, c=${kneeGroup.concurrency}` });
    else {
      if (bestGroup) marks.push({ x: bestGroup.concurrency, y: y(bestGroup), label: `best, c=${bestGroup.concurrency}` });
      if (kneeGroup) marks.push({ x: kneeGroup.concurrency, y: y(kneeGroup), label: `knee, c=${kneeGroup.concurrency}` });
    }
    return marks;
  };
  const throughputMarks = marksAt((g) => g.throughputRps);
  if (sloGroup && sloGroup !== bestGroup && sloGroup !== kneeGroup) {
    throughputMarks.push({ x: sloGroup.concurrency, y: sloGroup.throughputRps, label: `p99 SLO, c=${sloGroup.concurrency}` });
  }
  const throughput = figure("Throughput vs concurrency", "Median across repeats; whiskers span the repeats (min–max).", false, {
    width: 520,
    height: 320,
    x: concurrencyAxis,
    y: { label: "throughput (req/s)", format: compact },
    series: [{ label: "throughput", color: colour(0), points: groups.map((g) => ({ x: g.concurrency, y: g.throughputRps, low: g.throughputRpsSpread.min, high: g.throughputRpsSpread.max })) }],
    marks: throughputMarks,
  });
  const slo = findings?.slo;
  const latency = figure("p99 latency vs concurrency", "Median p99 across repeats; whiskers span the repeats. p50 for reference.", false, {
    width: 520,
    height: 320,
    x: concurrencyAxis,
    y: { label: "latency (ms)", format: compact },
    series: [
      { label: "p99", color: colour(1), points: groups.map((g) => ({ x: g.concurrency, y: g.latencyMs.p99, low: g.latencyMsSpread.p99.min, high: g.latencyMsSpread.p99.max })) },
      { label: "p50", color: colour(0), points: groups.map((g) => ({ x: g.concurrency, y: g.latencyMs.p50 })) },
    ],
    marks: marksAt((g) => g.latencyMs.p99),
    guides: slo ? [{ axis: "y", value: slo.p99Ms, label: `SLO p99 ${formatMs(slo.p99Ms)} ms` }] : [],
  });
  return [throughput, latency];
}

function offeredLoadCharts(document: ResultDocument, groups: GroupSummary[]): string[] {
  const preset = document.summary.preset;
  const offeredAxis: Axis = { label: "offered load (req/s)", format: compact };
  const capacity: Guide[] = preset ? [{ axis: "x", value: preset.capacityRps, label: `capacity ${compact(preset.capacityRps)} req/s` }] : [];
  const at = (latency: (g: GroupSummary) => LatencyMs | null, field: keyof LatencyMs) =>
    groups.flatMap((g) => {
      const value = latency(g)?.[field];
      return value === undefined ? [] : [{ x: g.targetRps!, y: value }];
    });
  const latency = figure("Latency vs offered load", "Medians across repeats. Solid: from the intended send time; dashed: service time.", false, {
    width: 520,
    height: 320,
    x: offeredAxis,
    y: { label: "latency (ms)", format: compact },
    series: [
      { label: "p99", color: colour(1), points: at((g) => g.latencyMs, "p99") },
      { label: "p50", color: colour(0), points: at((g) => g.latencyMs, "p50") },
      { label: "p99 service time", color: colour(1), dashed: true, points: at((g) => g.serviceTimeMs, "p99") },
    ],
    guides: capacity,
  });
  const top = Math.max(...groups.map((g) => g.targetRps!));
  const achieved = figure("Achieved vs offered load", "Median achieved rate; whiskers span the repeats. Below the diagonal, the server fell behind.", false, {
    width: 520,
    height: 320,
    x: offeredAxis,
    y: { label: "achieved (req/s)", format: compact },
    series: [
      { label: "achieved", color: colour(2), points: groups.map((g) => ({ x: g.targetRps!, y: g.achievedRps ?? g.throughputRps, low: g.achievedRpsSpread?.min, high: g.achievedRpsSpread?.max })) },
      { label: "achieved = offered", color: "#9ca3af", dashed: true, noDots: true, points: [{ x: 0, y: 0 }, { x: top, y: top }] },
    ],
    guides: capacity,
  });
  return [latency, achieved];
}

/** At most ~10 labelled ticks: a 16-point sweep would otherwise print labels on top of each other. */
function thinned(ticks: Tick[]): Tick[] {
  const every = Math.ceil(ticks.length / 10);
  return ticks.filter((_, i) => i % every === 0 || i === ticks.length - 1);
}

export function figure(title: string, caption: string, wide: boolean, chart: Chart): string {
  return `<figure${wide ? ' class="wide"' : ""}><figcaption><h3>${esc(title)}</h3><p>${esc(caption)}</p></figcaption>${lineChart(chart)}</figure>`;
}

/** A chart over time: the SVG, and its data for the interactive chart that replaces it where scripts run. */
function timeFigure({ title, caption, chart }: TimeFigure): string {
  return `<figure data-time-chart><figcaption><h3>${esc(title)}</h3><p>${esc(caption)}</p></figcaption>${lineChart(chart)}${timeChartDataBlock(chart)}</figure>`;
}

// ---------------------------------------------------------------------------------------------
// Tables

/** What a group summary and a single run have in common: one row renders either. */
type Row = Pick<RunResult, "phase" | "concurrency" | "targetRps" | "requests" | "ok" | "dropped" | "errors" | "retried" | "throughputRps" | "achievedRps" | "latencyMs" | "serviceTimeMs">;

const LATENCY_FIELDS = [
  ["p50", "p50"],
  ["p90", "p90"],
  ["p99", "p99"],
  ["p99.9", "p999"],
  ["max", "max"],
] as const satisfies readonly (readonly [string, keyof LatencyMs])[];

function tables(document: ResultDocument): string {
  const { groups } = document.summary;
  const open = groups.some((g) => g.phase === "open");
  const phases = [...new Set(groups.map((g) => g.phase))];
  const headings = ["point", "repeats", "requests", "ok", "errors", ...(open ? ["target req/s"] : []), open ? "achieved req/s" : "throughput req/s", ...LATENCY_FIELDS.map(([name]) => `${name} ms`), "dropped"];
  const head = `<thead><tr>${headings.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`;
  const body = phases.flatMap((phase) => [
    ...(phases.length > 1 ? [`<tr class="phase"><th colspan="${headings.length}">${esc(PHASE_TITLES[phase])}</th></tr>`] : []),
    ...groups.filter((g) => g.phase === phase).flatMap((g) => rowHtml(pointName(g, document), String(g.repeats), g, open)),
  ]);
  const runHead = `<thead><tr>${["run", ...headings.slice(2)].map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`;
  const runRows = document.runs.flatMap((run) => rowHtml(`${pointName(run, document)} #${run.repeat}${run.interrupted ? " (stopped early)" : ""}`, null, run, open));
  return `<section>
<h2>Results</h2>
<p class="hint">Per measured point: counts summed over its repeats, rates and latency percentiles the median across them.</p>
<div class="scroll"><table id="groups">${head}<tbody>${body.join("")}</tbody></table></div>
${verdicts(document)}
<details><summary>Every run (${document.runs.length})</summary><div class="scroll"><table id="runs">${runHead}<tbody>${runRows.join("")}</tbody></table></div></details>
</section>`;
}

/**
 * Beside the table: whether each open-loop point sustained its rate (and who was the limit when it
 * did not), that its percentiles leave out the dropped requests, and a level above the calibrated capacity.
 */
function verdicts(document: ResultDocument): string {
  const { groups, preset } = document.summary;
  const items = groups
    .filter((group) => group.phase === "open")
    .flatMap((group) => {
      const runs = document.runs.filter((r) => r.phase === "open" && r.targetRps === group.targetRps && r.concurrency === group.concurrency);
      const verdict = pointVerdict(runs);
      const lines = verdict === null || verdict.sustained ? [`sustained ${rps(group.targetRps)} req/s`] : verdictLines(verdict);
      if (group.dropped > 0) lines.push(droppedNote(group.dropped));
      const exceeded = preset ? capacityExceeded(preset, group) : null;
      if (exceeded) lines.push(exceeded);
      const bad = verdict?.sustained === false || exceeded !== null;
      return [`<li class="${bad ? "bad" : ""}"><b>${esc(pointName(group, document))}</b>: ${esc(lines.join("; "))}</li>`];
    });
  return items.length > 0 ? `<ul class="verdicts">${items.join("")}</ul>` : "";
}

const PHASE_TITLES: Record<Row["phase"], string> = {
  closed: "closed loop",
  sweep: "concurrency sweep (closed loop)",
  open: "open loop",
};

/** A row, plus a service-time row under open-loop points. */
function rowHtml(name: string, repeats: string | null, row: Row, open: boolean): string[] {
  const errors = totalErrors(row.errors);
  const byKind = ERROR_KINDS.filter((kind) => row.errors[kind] > 0).map((kind) => `${kind} ${formatCount(row.errors[kind])}`);
  if (row.retried) byKind.push(`retried ${formatCount(row.retried)}`);
  const errorCell = `${formatCount(errors)}${byKind.length > 0 ? `<span class="kinds">${esc(byKind.join(" · "))}</span>` : ""}`;
  const latency = (l: LatencyMs) => LATENCY_FIELDS.map(([, field]) => `<td>${formatMs(l[field])}</td>`).join("");
  const cells = [
    `<td>${esc(name)}</td>`,
    ...(repeats === null ? [] : [`<td>${esc(repeats)}</td>`]),
    `<td>${formatCount(row.requests)}</td>`,
    `<td>${formatCount(row.ok)}</td>`,
    `<td class="${errors > 0 ? "bad" : ""}">${errorCell}</td>`,
    ...(open ? [`<td>${rps(row.targetRps)}</td>`] : []),
    `<td>${rps(row.achievedRps ?? row.throughputRps)}</td>`,
    latency(row.latencyMs),
    `<td class="${row.dropped > 0 ? "bad" : ""}">${formatCount(row.dropped)}</td>`,
  ];
  const rows = [`<tr>${cells.join("")}</tr>`];
  if (row.serviceTimeMs) {
    const before = (repeats === null ? 0 : 1) + 3 + (open ? 2 : 1);
    rows.push(`<tr class="service"><td>service time</td><td colspan="${before}"></td>${latency(row.serviceTimeMs)}<td></td></tr>`);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Per target: a request pool's targets, each point's in a table and a percentile chart

/** Curves in one chart at most: one colour each. The table lists every target. */
const MAX_TARGET_CURVES = PALETTE.length;

const GENERATOR_TEXT: Record<string, string> = {
  pool: "request pool, encoded once",
};

/** Where the requests came from, when it was not one fixed request. */
function generatorMeta(document: ResultDocument): [string, string][] {
  const generators = [...new Set(document.runs.map((run) => run.generator ?? "fixed"))].filter((generator) => generator !== "fixed");
  return generators.length > 0 ? [["requests", esc(generators.map((generator) => GENERATOR_TEXT[generator] ?? generator).join("; "))]] : [];
}

function targetsSection(document: ResultDocument): string {
  const points = document.summary.groups
    .map((group) => ({ group, targets: targetSummaries(runsOfGroup(document, group)) }))
    .filter(({ targets }) => targets.length > 0);
  if (points.length === 0) return "";
  const blocks = points.map(({ group, targets }, i) => {
    const name = pointName(group, document);
    const content = `${targetChart(targets, points.length > 1 ? name : null)}<div class="scroll"><table class="targets">${targetTable(targets)}</table></div>`;
    // The first point open, the others a click away: a sweep's eight would bury the page.
    return i === 0 ? content : `<details><summary>${esc(name)}: ${targets.length} targets</summary>${content}</details>`;
  });
  return `<section id="targets">
<h2>Per target</h2>
<p class="hint">Each target's requests, errors and latency, percentiles the median across repeats; curves from all repeats merged.</p>
${blocks.join("\n")}
</section>`;
}

function targetChart(targets: readonly TargetSummary[], point: string | null): string {
  const drawn = [...targets].sort((a, b) => b.requests - a.requests).slice(0, MAX_TARGET_CURVES);
  const series: Series[] = drawn.map((target, i) => ({ label: target.name, color: colour(i), points: percentileCurve(decodeHistogram(target.histogram)) }));
  const lastX = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const left = targets.length - drawn.length;
  const caption = `Latency by percentile of each target${left > 0 ? `: the ${drawn.length} with the most requests (${left} more in the table)` : ""}.`;
  return figure(point === null ? "Latency by percentile, per target" : `Latency by percentile, per target · ${point}`, caption, true, {
    width: 1060,
    height: 340,
    x: { label: "percentile", ticks: ninesTicks(lastX), min: 0, max: ninesTicks(lastX).at(-1)!.value },
    y: { label: "latency (ms)", format: compact },
    series,
  });
}

function targetTable(targets: readonly TargetSummary[]): string {
  const headings = ["target", "repeats", "requests", "ok", "errors", ...LATENCY_FIELDS.map(([name]) => `${name} ms`)];
  const rows = targets.map((target) => {
    const errors = totalErrors(target.errors);
    const byKind = ERROR_KINDS.filter((kind) => (target.errors[kind] ?? 0) > 0).map((kind) => `${kind} ${formatCount(target.errors[kind])}`);
    const cells = [
      `<td>${esc(target.name)}</td>`,
      `<td>${target.repeats}</td>`,
      `<td>${formatCount(target.requests)}</td>`,
      `<td>${formatCount(target.ok)}</td>`,
      `<td class="${errors > 0 ? "bad" : ""}">${formatCount(errors)}${byKind.length > 0 ? `<span class="kinds">${esc(byKind.join(" · "))}</span>` : ""}</td>`,
      ...LATENCY_FIELDS.map(([, field]) => `<td>${formatMs(target.latencyMs[field])}</td>`),
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<thead><tr>${headings.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody>`;
}

// ---------------------------------------------------------------------------------------------

export const CSS = `
:root { color-scheme: light; --ink: #111827; --text: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; line-height: 1.2; margin: 0 0 12px; color: var(--ink); }
h2 { font-size: 18px; margin: 0 0 14px; color: var(--ink); }
h3 { font-size: 15px; margin: 0; color: var(--ink); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.93em; word-break: break-all; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0 0 10px; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
.options { margin: 0; font-size: 12.5px; line-height: 1.9; }
.option { display: inline-block; background: #eef1f5; border-radius: 4px; padding: 0 7px; margin-right: 2px; white-space: nowrap; }
.option span { color: var(--muted); }
.warning { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 6px; padding: 8px 12px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin-top: 18px; }
section.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; padding: 16px; }
.figure { border-left: 3px solid #2563eb; padding: 4px 12px; }
.figure .label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.figure .value { font-size: 22px; font-weight: 650; color: var(--ink); font-variant-numeric: tabular-nums; }
.figure .note { font-size: 12.5px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 26px 28px; }
figure { margin: 0; min-width: 0; }
figure.wide { grid-column: 1 / -1; }
figcaption p { margin: 2px 0 8px; font-size: 13px; color: var(--muted); }
svg { display: block; width: 100%; height: auto; font-variant-numeric: tabular-nums; }
svg text { font-size: 12px; fill: #374151; }
svg .axis-label { font-size: 12.5px; fill: var(--ink); font-weight: 600; }
svg .grid { stroke: #eceef1; stroke-width: 1; }
svg .frame { fill: none; stroke: #9ca3af; stroke-width: 1; }
svg .line { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
svg .dashed { stroke-dasharray: 6 4; stroke-linecap: butt; }
svg .whisker { fill: none; stroke-width: 1.3; opacity: 0.7; }
svg .guide { stroke: #6b7280; stroke-width: 1.2; stroke-dasharray: 3 3; }
svg .guide-label { font-size: 11.5px; fill: #4b5563; }
svg .mark { fill: none; stroke: #111827; stroke-width: 2; }
svg .mark-label { font-size: 12px; font-weight: 600; fill: var(--ink); paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg .legend { fill: var(--text); }
.hint { margin: -6px 0 12px; font-size: 13px; color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 7px; text-align: right; white-space: nowrap; border-bottom: 1px solid var(--line); vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { font-size: 12px; font-weight: 600; color: var(--muted); border-bottom: 2px solid #d1d5db; }
tr.phase th { text-align: left; background: #f3f4f6; color: var(--ink); font-size: 12.5px; }
tr.service td { color: var(--muted); font-size: 12.5px; }
td.bad, li.bad { color: #b91c1c; }
.verdicts { margin: 10px 0 0; padding-left: 20px; font-size: 13.5px; }
.kinds { display: block; font-size: 11.5px; }
details { margin-top: 14px; }
summary { cursor: pointer; color: #1d4ed8; font-size: 14px; }
details table { margin-top: 8px; }
footer { margin-top: 18px; font-size: 12.5px; color: var(--muted); }
footer p { margin: 2px 0; }
@media (max-width: 760px) { .charts { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } section { break-inside: avoid; } }
`;
