import { expect, test } from "bun:test";
import { renderHtmlReport } from "../../src/report/html.ts";
import { timeChartData, timeChartDataBlock, timeFigures, type TimeChartData } from "../../src/report/time-chart.ts";
import { IntervalCutter } from "../../src/stats/intervals.ts";
import type { ResultDocument } from "../../src/stats/document.ts";
import type { Interval } from "../../src/stats/result.ts";
import { stageResults } from "../../src/stats/stage-results.ts";
import { Tally } from "../../src/stats/tally.ts";
import { closedDocument, openDocument } from "../support/documents.ts";

/** Ten 1 s intervals at 100 req/s; in the 5th the server stalls (a 900 ms max) and 20 requests are dropped; in the 7th 5 are retried. */
function intervals(): Interval[] {
  const tally = new Tally(Number.NEGATIVE_INFINITY, 1e12);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  const cut: Interval[] = [];
  for (let second = 0; second < 10; second++) {
    for (let i = 0; i < 100; i++) {
      const nowUs = second * 1e6 + i * 10_000;
      tally.onResponse(200, nowUs - (second === 4 && i === 50 ? 900_000 : 2000), nowUs - 1000, nowUs);
    }
    if (second === 4) for (let i = 0; i < 20; i++) tally.onDrop(second * 1e6);
    if (second === 6) for (let i = 0; i < 5; i++) tally.onRetry(second * 1e6);
    cut.push(cutter.cut((second + 1) * 1e6));
  }
  return cut;
}

function withIntervals(document: ResultDocument): ResultDocument {
  document.runs = document.runs.map((run, i) => ({ ...run, startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 11 * i)).toISOString(), intervals: intervals() }));
  return document;
}

test("an open point: latency and rate over time, its repeats at their real start, drops and retries drawn", () => {
  const figures = timeFigures(withIntervals(openDocument()), () => "2000 req/s");
  expect(figures.map((f) => f.title)).toEqual(["Latency over time · 2000 req/s", "Rate over time · 2000 req/s"]);
  const [latency, rate] = figures.map((f) => f.chart);
  const p99 = latency!.series.find((s) => s.label === "p99")!.points;
  expect(p99).toHaveLength(20);
  // Interval midpoints: 0.5 s, 1.5 s …; the second repeat started 11 s after the first.
  expect(p99.map((p) => p.x).slice(9, 11)).toEqual([9.5, 11.5]);
  expect(latency!.series.find((s) => s.label === "max")!.points[4]!.y).toBeCloseTo(900, -1);
  expect(latency!.guides).toEqual([{ axis: "x", value: 11, label: "repeat 2" }]);
  expect(rate!.series.map((s) => s.label)).toEqual(["achieved", "target", "dropped", "retried"]);
  expect(rate!.series[0]!.points[0]!.y).toBe(100);
  expect(rate!.series[1]!.points[0]!.y).toBe(2000);
  expect(rate!.series[2]!.points[4]!.y).toBe(20);
  expect(rate!.series[3]!.points.map((p) => p.y).slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 5, 0]);
  expect(figures[0]!.caption).toContain("each 1 s interval");
});

test("the report draws them as SVG figures, each with its data for uPlot, embedded once; without intervals it has none", () => {
  const html = renderHtmlReport(withIntervals(closedDocument()));
  expect(html).toContain("<h3>Latency over time · c=20</h3>");
  expect(html).toContain("<h3>Rate over time · c=20</h3>");
  // Values on hover without a script too: a <title> per interval.
  expect(html).toContain("<title>4.5 s: max 900 ms</title>");
  // uPlot inline, once, with its licence; nothing fetched.
  expect(html.split("var uPlot=function").length).toBe(2);
  expect(html).toContain("Copyright (c) 2022 Leon Sorokin");
  expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=/);
  const blocks = [...html.matchAll(/<script type="application\/json" class="time-chart-data">(.*?)<\/script>/g)].map((m) => JSON.parse(m[1]!) as TimeChartData);
  expect(blocks.map((b) => b.yLabel)).toEqual(["latency (ms)", "req/s"]);
  const [latency, rate] = blocks;
  expect(latency!.yLog).toBe(true);
  // Two repeats of ten intervals.
  expect(latency!.x).toHaveLength(20);
  expect(latency!.series.map((s) => s.label)).toEqual(["max", "p99", "p50"]);
  expect(latency!.series[0]!.values[4]).toBeCloseTo(900, -1);
  expect(rate!.series.map((s) => [s.label, s.values.length])).toEqual([["achieved", 20], ["dropped", 20], ["retried", 20]]);
  expect(renderHtmlReport(closedDocument())).not.toContain("over time");
  expect(renderHtmlReport(closedDocument())).not.toContain("<script");
});

test("series are put on the x values they share, null where one has no point", () => {
  const data = timeChartData({
    width: 100,
    height: 100,
    x: { label: "time (s)" },
    y: { label: "latency (ms)", log: true },
    series: [
      { label: "a", color: "#000", points: [{ x: 0.5, y: 1 }, { x: 2.5, y: 3 }] },
      { label: "b", color: "#111", dashed: true, points: [{ x: 1.5, y: 2 }, { x: 2.5, y: 4 }] },
    ],
    guides: [{ axis: "x", value: 2, label: "stage 2" }, { axis: "y", value: 1, label: "slo" }],
  });
  expect(data.x).toEqual([0.5, 1.5, 2.5]);
  expect(data.series).toEqual([
    { label: "a", color: "#000", dashed: false, values: [1, null, 3] },
    { label: "b", color: "#111", dashed: true, values: [null, 2, 4] },
  ]);
  expect(data.guides).toEqual([{ x: 2, label: "stage 2" }]);
});

test("text from the document cannot end the data block", () => {
  const html = timeChartDataBlock({ width: 1, height: 1, x: { label: "</script><b>" }, y: { label: "y" }, series: [] });
  expect(html.match(/<\/script>/g)).toHaveLength(1);
  expect(JSON.parse(html.slice(html.indexOf(">") + 1, html.lastIndexOf("<"))).xLabel).toBe("</script><b>");
});

test("a run in stages: a guide at each stage and the target along the ramps", () => {
  const document = withIntervals(openDocument());
  const spans = [
    { stage: 1, startS: 0, durationS: 5, fromRps: 100, toRps: 100 },
    { stage: 2, startS: 5, durationS: 5, fromRps: 100, toRps: 300 },
  ];
  document.runs = [{ ...document.runs[0]!, stages: stageResults(spans, document.runs[0]!.intervals!) }];
  const [latency, rate] = timeFigures(document, () => "stages").map((f) => f.chart);
  expect(latency!.guides).toEqual([{ axis: "x", value: 5, label: "stage 2" }]);
  const target = rate!.series.find((s) => s.label === "target")!.points;
  expect(target.map((p) => p.y)).toEqual([100, 100, 100, 100, 100, 120, 160, 200, 240, 280]);
});
