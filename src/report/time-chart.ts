/**
 * The report's charts over time, from the runs' intervals: for each measured point, latency
 * (p50, p99, max) and rates (achieved, target, errors, drops) interval by interval, its repeats
 * placed at their real start. This is where warm-up, GC pauses, a filling cache or a server that
 * tips into overload show, which no summary over a whole run can.
 *
 * Each is drawn twice over: as the report's SVG chart (what prints, and what a reader without
 * scripts sees, with each interval's value on hover), and, where scripts run, as a uPlot chart in
 * its place, to hover for every series' value at a time and to zoom on a time range by dragging
 * (double-click zooms out). uPlot is embedded in the page, so the report still opens offline.
 */
import type { ResultDocument } from "../stats/document.ts";
import type { Interval, RunResult } from "../stats/result.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { totalErrors } from "../stats/summary.ts";
import UPLOT_LICENSE from "uplot/LICENSE" with { type: "text" };
import UPLOT_JS from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import UPLOT_CSS from "uplot/dist/uPlot.min.css" with { type: "text" };
import { compact } from "./svg-chart.ts";
import type { Chart, Guide, Point } from "./svg-chart.ts";

export interface TimeFigure {
  title: string;
  caption: string;
  chart: Chart;
}

const COLOURS = { p50: "#2563eb", p99: "#dc2626", max: "#7c3aed", achieved: "#059669", target: "#9ca3af", errors: "#dc2626", dropped: "#d97706", retried: "#0891b2" };

/** The runs of one point that carry intervals, in the order they ran. */
function timedRuns(document: ResultDocument, group: GroupSummary): RunResult[] {
  return document.runs.filter(
    (run) => run.phase === group.phase && run.concurrency === group.concurrency && run.targetRps === group.targetRps && run.intervals && run.startedAt,
  );
}

/** Each interval at its middle, in seconds from the first run's start. */
function placed(runs: readonly RunResult[]): { run: RunResult; interval: Interval; atS: number }[] {
  const zeroMs = Date.parse(runs[0]!.startedAt!);
  return runs.flatMap((run) => {
    const offsetS = (Date.parse(run.startedAt!) - zeroMs) / 1000;
    return run.intervals!.map((interval) => ({ run, interval, atS: offsetS + interval.startS + interval.durationS / 2 }));
  });
}

export function timeFigures(document: ResultDocument, pointName: (group: GroupSummary) => string): TimeFigure[] {
  return document.summary.groups.flatMap((group) => {
    const runs = timedRuns(document, group);
    if (runs.length === 0 || runs.every((run) => run.intervals!.length === 0)) return [];
    return pointFigures(runs, pointName(group));
  });
}

function pointFigures(runs: readonly RunResult[], name: string): TimeFigure[] {
  const points = placed(runs);
  const zeroMs = Date.parse(runs[0]!.startedAt!);
  // Repeats after the first start where a guide says so, and so do the stages of a load profile.
  const offsetS = (run: RunResult) => (Date.parse(run.startedAt!) - zeroMs) / 1000;
  const guides: Guide[] = runs.flatMap((run, i) => [
    ...(i === 0 ? [] : [{ axis: "x" as const, value: offsetS(run), label: `repeat ${run.repeat}` }]),
    ...(run.stages ?? []).filter((stage) => stage.startS > 0).map((stage) => ({ axis: "x" as const, value: offsetS(run) + stage.startS, label: `stage ${stage.stage}` })),
  ]);
  const x = { label: "time (s)", format: compact };
  // A point per interval; an interval in which no response came back has no latency to draw.
  const at = (atS: number) => `${atS.toFixed(1)} s`;
  const latency = (field: "p50" | "p99" | "max"): Point[] =>
    points
      .filter((p) => p.interval.latencyMs.max > 0)
      .map((p) => ({ x: p.atS, y: Math.max(p.interval.latencyMs[field], 0.001), title: `${at(p.atS)}: ${field} ${compact(p.interval.latencyMs[field])} ms` }));
  const rate = (label: string, count: (interval: Interval) => number): Point[] =>
    points.map((p) => {
      const y = p.interval.durationS > 0 ? count(p.interval) / p.interval.durationS : 0;
      return { x: p.atS, y, title: `${at(p.atS)}: ${label} ${compact(y)}/s` };
    });
  const errors = rate("errors", (interval) => totalErrors(interval.errors));
  const dropped = rate("dropped", (interval) => interval.dropped);
  const retried = rate("retried", (interval) => interval.retried ?? 0);
  const targetRps = runs[0]!.targetRps;
  /** The rate asked for at an interval's middle: the run's, or along its stage's ramp. */
  const targetAt = ({ run, interval }: (typeof points)[number]): number => {
    const middleS = interval.startS + interval.durationS / 2;
    const stage = run.stages?.find((s) => middleS >= s.startS && middleS < s.startS + s.durationS) ?? run.stages?.at(-1);
    if (!stage) return run.targetRps ?? 0;
    const along = stage.durationS > 0 ? Math.min(1, Math.max(0, (middleS - stage.startS) / stage.durationS)) : 1;
    return stage.fromRps + (stage.toRps - stage.fromRps) * along;
  };
  // The planned length, near enough: the median interval (timers fire late, a run's last interval is short).
  const lengths = points.map((p) => p.interval.durationS).sort((a, b) => a - b);
  const lengthS = Number(lengths[lengths.length >> 1]!.toPrecision(2));

  const latencyFigure: TimeFigure = {
    title: `Latency over time · ${name}`,
    caption: `p50, p99 and max of each ${lengthS} s interval, by when requests completed${runs[0]!.phase === "open" ? " (from the intended send time)" : ""}. Log scale.`,
    chart: {
      width: 520,
      height: 300,
      x,
      y: { label: "latency (ms)", log: true, format: compact },
      series: [
        { label: "max", color: COLOURS.max, points: latency("max"), noDots: true },
        { label: "p99", color: COLOURS.p99, points: latency("p99"), noDots: true },
        { label: "p50", color: COLOURS.p50, points: latency("p50"), noDots: true },
      ],
      guides,
    },
  };
  const rateFigure: TimeFigure = {
    title: `Rate over time · ${name}`,
    caption: "Responses per second of each interval" + (targetRps === null ? "" : " against the target rate") + "; errors, drops and retries per second where there were any.",
    chart: {
      width: 520,
      height: 300,
      x,
      y: { label: "req/s", format: compact },
      series: [
        { label: "achieved", color: COLOURS.achieved, points: rate("achieved", (interval) => interval.achievedRps * interval.durationS), noDots: true },
        ...(targetRps === null ? [] : [{ label: "target", color: COLOURS.target, dashed: true, noDots: true, points: points.map((p) => ({ x: p.atS, y: targetAt(p) })) }]),
        ...(errors.some((p) => p.y > 0) ? [{ label: "errors", color: COLOURS.errors, points: errors, noDots: true }] : []),
        ...(dropped.some((p) => p.y > 0) ? [{ label: "dropped", color: COLOURS.dropped, points: dropped, noDots: true }] : []),
        ...(retried.some((p) => p.y > 0) ? [{ label: "retried", color: COLOURS.retried, points: retried, noDots: true }] : []),
      ],
      guides,
    },
  };
  return [latencyFigure, rateFigure];
}

/** What the interactive chart draws of a time figure: one x array, and each series' values on it (null where it has none). */
export interface TimeChartData {
  xLabel: string;
  yLabel: string;
  yLog: boolean;
  x: number[];
  series: { label: string; color: string; dashed: boolean; values: (number | null)[] }[];
  guides: { x: number; label: string }[];
}

/** A time figure's chart, its series put on the x values they share, as uPlot takes them. */
export function timeChartData(chart: Chart): TimeChartData {
  const x = [...new Set(chart.series.flatMap((series) => series.points.map((point) => point.x)))].sort((a, b) => a - b);
  return {
    xLabel: chart.x.label,
    yLabel: chart.y.label,
    yLog: chart.y.log === true,
    x,
    series: chart.series.map((series) => {
      const byX = new Map(series.points.map((point) => [point.x, point.y]));
      return { label: series.label, color: series.color, dashed: series.dashed === true, values: x.map((at) => byX.get(at) ?? null) };
    }),
    guides: (chart.guides ?? []).filter((guide) => guide.axis === "x").map((guide) => ({ x: guide.value, label: guide.label })),
  };
}

/** The data of a figure as a JSON block in the page (`<` escaped, so no text in it can end the block). */
export function timeChartDataBlock(chart: Chart): string {
  return `<script type="application/json" class="time-chart-data">${JSON.stringify(timeChartData(chart)).replace(/</g, "\\u003c")}</script>`;
}

/**
 * Turns each figure with a data block into a uPlot chart in place of its SVG: the legend shows the
 * values at the pointer, dragging across zooms on that time range, a double-click zooms out.
 * Written for any browser of the last years; it does nothing where uPlot did not load.
 */
const TIME_CHART_SCRIPT = `
(function () {
  if (typeof uPlot !== "function") return;
  var format = function (v) {
    if (v == null) return "\u2014";
    var a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
    return String(+v.toPrecision(3));
  };
  // On a log axis: 1, 3, 10, 30 … (only the powers of ten over more than four decades), not uPlot's every 1–9.
  var logSplits = function (u, axis, min, max) {
    var low = Math.floor(Math.log10(min)), high = Math.ceil(Math.log10(max)), out = [];
    var steps = high - low > 4 ? [1] : [1, 3];
    for (var e = low; e <= high; e++) steps.forEach(function (m) {
      var v = m * Math.pow(10, e);
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    });
    return out;
  };
  document.querySelectorAll("figure[data-time-chart]").forEach(function (figure) {
    var data = JSON.parse(figure.querySelector("script.time-chart-data").textContent);
    var svg = figure.querySelector("svg");
    var holder = document.createElement("div");
    holder.className = "time-chart";
    svg.parentNode.insertBefore(holder, svg);
    svg.style.display = "none";
    var size = function () { return { width: Math.max(280, holder.clientWidth), height: 300 }; };
    var guides = function (u) {
      var ctx = u.ctx, r = devicePixelRatio || 1, box = u.bbox;
      ctx.save();
      ctx.strokeStyle = "#6b7280"; ctx.fillStyle = "#4b5563"; ctx.lineWidth = r;
      ctx.setLineDash([3 * r, 3 * r]);
      ctx.font = 11 * r + "px system-ui, sans-serif";
      data.guides.forEach(function (g) {
        var x = Math.round(u.valToPos(g.x, "x", true));
        if (x < box.left || x > box.left + box.width) return;
        ctx.beginPath(); ctx.moveTo(x, box.top); ctx.lineTo(x, box.top + box.height); ctx.stroke();
        ctx.fillText(g.label, x + 4 * r, box.top + 12 * r);
      });
      ctx.restore();
    };
    var opts = Object.assign(size(), {
      scales: { x: { time: false }, y: data.yLog ? { distr: 3 } : {} },
      axes: [
        { label: data.xLabel, values: function (u, vals) { return vals.map(format); } },
        { label: data.yLabel, size: 56, splits: data.yLog ? logSplits : undefined, values: function (u, vals) { return vals.map(format); } }
      ],
      series: [{ label: "time", value: function (u, v) { return v == null ? "\u2014" : v.toFixed(1) + " s"; } }].concat(
        data.series.map(function (s) {
          return { label: s.label, stroke: s.color, width: 2, dash: s.dashed ? [6, 4] : undefined, points: { show: false }, value: function (u, v) { return format(v); } };
        })
      ),
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [guides] }
    });
    var chart = new uPlot(opts, [data.x].concat(data.series.map(function (s) { return s.values; })), holder);
    window.addEventListener("resize", function () { chart.setSize(size()); });
    figure.querySelector("figcaption p").appendChild(document.createTextNode(" Drag across it to zoom on a time range; double-click to zoom out."));
    figure.timeChart = chart;
  });
})();
`;

/** What a page with time figures carries once: uPlot (its licence kept with it), its styles, and the script above. */
export function timeChartAssets(): string {
  const licence = UPLOT_LICENSE.trim().replace(/\*\//g, "* /");
  return `<style>${UPLOT_CSS}
.time-chart { width: 100%; }
.time-chart .u-legend { font-size: 12.5px; }
</style>
<script>/* uPlot 1.6.32, https://github.com/leeoniya/uPlot\n${licence}\n*/
${UPLOT_JS.replace(/<\/script/gi, "<\\/script")}
${TIME_CHART_SCRIPT}</script>`;
}
