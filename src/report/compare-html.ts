/**
 * The comparison as a self-contained HTML page, built from the report's own pieces (styles, the
 * percentile curve, the chart): base and new side by side, and for each matched point both latency
 * curves on one chart, drawn from the merged histograms — the whole distributions, not the few
 * percentiles the table tests.
 */
import { METRIC_LABELS, type Comparison, type PointComparison, type PointSide } from "../stats/compare.ts";
import { decodeHistogram } from "../stats/histogram.ts";
import type { ResultDocument } from "../stats/document.ts";
import { formatChange, formatMetricValue, formatNoise, formatPValue, pointHeading, TARGET_HEADINGS, targetRows, unmatchedLines, type Names } from "./compare-table.ts";
import { writeAtomically } from "./files.ts";
import { CSS, figure, ninesTicks, PALETTE, percentileCurve } from "./html.ts";
import { compact, esc } from "./svg-chart.ts";
import type { Series } from "./svg-chart.ts";

const BASE_COLOUR = PALETTE[0]!;
const NEW_COLOUR = PALETTE[1]!;

export function renderCompareHtml(comparison: Comparison, base: ResultDocument, next: ResultDocument, names: Names): string {
  const sections = comparison.points.map((point) => pointSection(point, base, next, names));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`minibench compare — ${names.base} vs ${names.new}`)}</title>
<style>${CSS}${COMPARE_CSS}</style>
</head>
<body>
<main>
${header(comparison, base, next, names)}
${sections.join("\n")}
${footer(comparison)}
</main>
</body>
</html>
`;
}

export function writeCompareHtml(comparison: Comparison, base: ResultDocument, next: ResultDocument, names: Names, path: string): void {
  writeAtomically(path, renderCompareHtml(comparison, base, next, names));
}

function header(comparison: Comparison, base: ResultDocument, next: ResultDocument, names: Names): string {
  const side = (title: string, name: string, document: ResultDocument, colour: string) => `<div class="side" style="border-color:${colour}">
<h3>${esc(title)} · <code>${esc(name)}</code></h3>
<dl class="meta"><dt>URL</dt><dd><code>${esc(document.url)}</code></dd><dt>mode</dt><dd>${esc(document.mode)}</dd><dt>started</dt><dd>${esc(document.startedAt)}</dd><dt>minibench</dt><dd>${esc(document.version)}</dd></dl>
</div>`;
  const counts = countVerdicts(comparison);
  const unmatched = unmatchedLines(comparison, names);
  return `<header>
<h1>minibench · comparison</h1>
<div class="sides">${side("base", names.base, base, BASE_COLOUR)}${side("new", names.new, next, NEW_COLOUR)}</div>
<p class="verdicts">${esc(counts)}</p>
${unmatched.length > 0 ? `<p class="warning">${unmatched.map(esc).join("<br>")}</p>` : ""}
</header>`;
}

function countVerdicts(comparison: Comparison): string {
  const counts = new Map<string, number>();
  for (const point of comparison.points) for (const metric of point.metrics) counts.set(metric.verdict, (counts.get(metric.verdict) ?? 0) + 1);
  const points = `${comparison.points.length} point${comparison.points.length === 1 ? "" : "s"} compared`;
  return [points, ...[...counts].map(([verdict, n]) => `${n} × ${verdict}`)].join(" · ");
}

function pointSection(point: PointComparison, base: ResultDocument, next: ResultDocument, names: Names): string {
  const rows = point.metrics.map(
    (m) =>
      `<tr><td>${esc(`${METRIC_LABELS[m.metric]} (${m.unit})`)}</td><td>${esc(formatMetricValue(m, m.base))}</td><td>${esc(formatMetricValue(m, m.new))}</td>` +
      `<td>${esc(formatChange(m.changePct))}</td><td>${esc(formatNoise(m.noisePct))}</td><td>${esc(formatPValue(m.pValue))}</td>` +
      `<td class="verdict ${m.verdict.replace(/ /g, "-")}">${esc(m.verdict)}</td></tr>`,
  );
  const table = `<div class="scroll"><table><thead><tr>${["metric", "base", "new", "change", "noise", "p", "verdict"].map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
  const series: Series[] = [];
  const baseHistogram = mergedHistogram(base, point.base);
  const newHistogram = mergedHistogram(next, point.new);
  if (baseHistogram) series.push({ label: `base · ${names.base}`, color: BASE_COLOUR, points: percentileCurve(decodeHistogram(baseHistogram)) });
  if (newHistogram) series.push({ label: `new · ${names.new}`, color: NEW_COLOUR, points: percentileCurve(decodeHistogram(newHistogram)) });
  const lastX = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const ticks = ninesTicks(lastX);
  const chart = figure("Latency by percentile", "All repeats of each side merged.", true, {
    width: 1060,
    height: 360,
    x: { label: "percentile", ticks, min: 0, max: ticks.at(-1)!.value },
    y: { label: "latency (ms)", format: compact },
    series,
  });
  return `<section>
<h2>${esc(pointHeading(point))}</h2>
${table}
<div class="charts">${chart}</div>
${point.byTarget ? targetsTable(point) : ""}
</section>`;
}

function targetsTable(point: PointComparison): string {
  const targets = point.byTarget!;
  const rows = targetRows(targets).map((cells) => `<tr>${cells.map((cell, i) => `<td${i === cells.length - 1 ? ` class="verdict ${/slower/.test(cell) ? "slower" : /faster/.test(cell) ? "faster" : ""}"` : ""}>${esc(cell)}</td>`).join("")}</tr>`);
  return `<h3 class="targets">Per target (latency in ms; p ≤ ${Number(targets.alphaPerMetric.toPrecision(2))} for a verdict)</h3>
<div class="scroll"><table class="targets"><thead><tr>${TARGET_HEADINGS.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** The merged histogram of all repeats of a point, as the document's summary holds it. */
function mergedHistogram(document: ResultDocument, side: PointSide): string | null {
  const group = document.summary.groups.find((g) => g.phase === side.phase && g.concurrency === side.concurrency && g.targetRps === side.targetRps);
  return group?.merged.histogram ?? null;
}

function footer(comparison: Comparison): string {
  const { settings } = comparison;
  return `<footer>
<p>Base and new are medians across repeats; noise is the larger spread of the repeats (max − min relative to the median; from 5 repeats on, without the repeat farthest from it) on either side.</p>
<p>A metric is called faster or slower when an exact Mann–Whitney U test over the per-repeat values rejects “no difference” at α ${settings.alpha} shared by the metrics of the point, the change is at least ${settings.minEffectPct}%, and it is larger than the noise.</p>
</footer>`;
}

const COMPARE_CSS = `
.sides { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; margin-bottom: 8px; }
.side { border-left: 4px solid; padding: 2px 12px; }
.side h3 { margin-bottom: 6px; }
.verdicts { margin: 6px 0 0; color: var(--muted); }
td.verdict.slower { color: #b91c1c; font-weight: 600; }
td.verdict.faster { color: #047857; font-weight: 600; }
td.verdict.needs-repeats { color: #92400e; }
section .charts { margin-top: 16px; }
h3.targets { margin-top: 18px; }
@media (max-width: 760px) { .sides { grid-template-columns: 1fr; } }
`;
