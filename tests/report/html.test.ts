import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ResultDocument } from "../../src/stats/document.ts";
import { targetSummaries } from "../../src/stats/by-target.ts";
import { renderHtmlReport, writeHtmlReport } from "../../src/report/html.ts";
import type { LatencyMs } from "../../src/stats/result.ts";
import { closedDocument, openDocument, presetDocument, sweepDocument } from "../support/documents.ts";
import { pooledDocument, pooledRun } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";

const DOCUMENTS = { closed: closedDocument(), open: openDocument(), sweep: sweepDocument(), preset: presetDocument() };

const VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/**
 * Every element closed in order, no stray `<` or unescaped `&` in text. Returns the problems.
 * Stricter than browsers need, which is the point: a report that passes reads the same everywhere.
 */
function wellFormednessProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<!DOCTYPE html>|<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g;
  let last = 0;
  for (let match = tag.exec(html); match; match = tag.exec(html)) {
    const text = html.slice(last, match.index);
    if (/[<>]|&(?!(amp|lt|gt|quot|#39);)/.test(text)) problems.push(`unescaped text: ${JSON.stringify(text.slice(0, 80))}`);
    last = tag.lastIndex;
    const [, closing, rawName, attributes] = match;
    if (!rawName) continue;
    const name = rawName.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (name === "style") {
      // CSS is not markup: skip to its end tag.
      const end = html.indexOf("</style>", last);
      last = end + "</style>".length;
      tag.lastIndex = last;
    } else if (!VOID_ELEMENTS.has(name) && !attributes!.trim().endsWith("/")) {
      stack.push(name);
    }
  }
  if (stack.length > 0) problems.push(`never closed: ${stack.join(", ")}`);
  return problems;
}

interface Parsed {
  svgs: number;
  chartTitles: string[];
  legends: string[][];
  ticks: string[][];
  /** Where each tick label of the first chart sits. */
  tickPositions: { label: string; x: number; y: number }[];
  markLabels: string[];
  guideLabels: string[];
  resourceAttributes: string[];
  groupsTable: string[][];
  firstCurve: string;
}

/** Parsed with Bun's HTMLRewriter (lol-html), the way a browser tokenizes it. */
async function parse(html: string): Promise<Parsed> {
  const parsed: Parsed = { svgs: 0, chartTitles: [], legends: [], ticks: [], tickPositions: [], markLabels: [], guideLabels: [], resourceAttributes: [], groupsTable: [], firstCurve: "" };
  const textInto = (push: (text: string) => void) => {
    let buffer = "";
    return {
      element(element: HTMLRewriterTypes.Element) {
        buffer = "";
        element.onEndTag(() => push(buffer));
      },
      text(chunk: HTMLRewriterTypes.Text) {
        buffer += chunk.text;
      },
    };
  };
  let currentTick = { label: "", x: 0, y: 0 };
  await new HTMLRewriter()
    .on("svg", {
      element() {
        parsed.svgs++;
        parsed.legends.push([]);
        parsed.ticks.push([]);
      },
    })
    .on("figure h3", textInto((text) => parsed.chartTitles.push(text)))
    .on("svg text.legend", textInto((text) => parsed.legends.at(-1)!.push(text)))
    .on("svg text.tick", {
      element(element) {
        const tick = { label: "", x: Number(element.getAttribute("x")), y: Number(element.getAttribute("y")) };
        if (parsed.svgs === 1) parsed.tickPositions.push(tick);
        element.onEndTag(() => {
          parsed.ticks.at(-1)!.push(tick.label);
        });
        currentTick = tick;
      },
      text(chunk) {
        currentTick.label += chunk.text;
      },
    })
    .on("svg text.mark-label", textInto((text) => parsed.markLabels.push(text)))
    .on("svg text.guide-label", textInto((text) => parsed.guideLabels.push(text)))
    .on("svg path.line", {
      element(element) {
        if (parsed.svgs === 1 && !parsed.firstCurve) parsed.firstCurve = element.getAttribute("d") ?? "";
      },
    })
    .on("*", {
      element(element) {
        for (const [name] of element.attributes) if (["src", "href", "xlink:href", "srcset", "action", "poster", "data"].includes(name)) parsed.resourceAttributes.push(`${element.tagName} ${name}`);
      },
    })
    .on("table#groups tr", {
      element() {
        parsed.groupsTable.push([]);
      },
    })
    .on("table#groups th, table#groups td", textInto((text) => parsed.groupsTable.at(-1)!.push(text)))
    .transform(new Response(html))
    .text();
  return parsed;
}

/** A table cell is the value rounded to the digits it shows, and shows at least 3 significant digits (or 3 decimals). */
function expectShown(cell: string, value: number): void {
  const decimals = cell.includes(".") ? cell.split(".")[1]!.length : 0;
  const shown = Number(cell.replaceAll(",", ""));
  expect(Math.abs(shown - value)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
  expect(decimals >= 3 || Math.abs(shown) >= 10 ** (2 - decimals) - 0.5 * 10 ** -decimals).toBe(true);
}

const count = (cell: string) => Number(cell.replaceAll(",", ""));
const LATENCY_COLUMNS: [string, keyof LatencyMs][] = [["p50 ms", "p50"], ["p90 ms", "p90"], ["p99 ms", "p99"], ["p99.9 ms", "p999"], ["max ms", "max"]];

describe("renderHtmlReport", () => {
  for (const [kind, document] of Object.entries(DOCUMENTS)) {
    test(`${kind}: well-formed HTML, every tag closed, all text escaped`, () => {
      const html = renderHtmlReport(document);
      expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
      expect(wellFormednessProblems(html)).toEqual([]);
    });

    test(`${kind}: self-contained — no script, no external resource, no URL but the target's`, async () => {
      const html = renderHtmlReport(document);
      const parsed = await parse(html);
      expect(parsed.resourceAttributes).toEqual([]);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(|@font-face/i);
      expect(html.replaceAll(document.url, "")).not.toMatch(/https?:\/\//);
    });
  }

  test("the charts each kind of document gets", async () => {
    const titles = async (document: ResultDocument) => (await parse(renderHtmlReport(document))).chartTitles;
    const svgs = async (document: ResultDocument) => (await parse(renderHtmlReport(document))).svgs;
    expect(await titles(DOCUMENTS.closed)).toEqual(["Latency by percentile"]);
    expect(await titles(DOCUMENTS.open)).toEqual(["Latency by percentile"]);
    expect(await titles(DOCUMENTS.sweep)).toEqual(["Latency by percentile", "Throughput vs concurrency", "p99 latency vs concurrency"]);
    expect(await titles(DOCUMENTS.preset)).toEqual([
      "Latency by percentile",
      "Throughput vs concurrency",
      "p99 latency vs concurrency",
      "Latency vs offered load",
      "Achieved vs offered load",
    ]);
    expect([await svgs(DOCUMENTS.closed), await svgs(DOCUMENTS.open), await svgs(DOCUMENTS.sweep), await svgs(DOCUMENTS.preset)]).toEqual([1, 1, 3, 5]);
  });

  test("percentile curve: one line per group, a dashed service-time line beside open-loop latency", async () => {
    expect((await parse(renderHtmlReport(DOCUMENTS.closed))).legends[0]).toEqual(["latency"]);
    expect((await parse(renderHtmlReport(DOCUMENTS.open))).legends[0]).toEqual(["2,000 req/s latency", "2,000 req/s service time"]);
    expect((await parse(renderHtmlReport(DOCUMENTS.sweep))).legends[0]).toEqual(["c=1", "c=2", "c=4", "c=8", "c=16", "c=32", "c=64"]);
    const preset = (await parse(renderHtmlReport(DOCUMENTS.preset))).legends[0]!;
    expect(preset).toHaveLength(6);
    expect(preset[0]).toMatch(/^50% · [\d,]+ req\/s latency$/);
    expect(preset[5]).toMatch(/^110% · [\d,]+ req\/s service time$/);
    expect(renderHtmlReport(DOCUMENTS.open)).toContain('class="line dashed"');
  });

  test("percentile curve: nines axis as HdrHistogram plots it, through the merged p90/p99/p99.9, never falling", async () => {
    // 4,000 requests: the curve reaches 1/(1 − p) = 4000, so the axis ends at 99.99%.
    const parsed = await parse(renderHtmlReport(DOCUMENTS.closed));
    expect(parsed.ticks[0]).toContain("99.9%");
    expect(parsed.ticks[0]!.filter((tick) => tick.endsWith("%"))).toEqual(["0%", "90%", "99%", "99.9%", "99.99%"]);
    // Read the curve back through the axes: at the 99% tick it must be at the merged p99.
    const at = (label: string) => parsed.tickPositions.find((tick) => tick.label === label)!;
    const yTicks = parsed.tickPositions.filter((tick) => !tick.label.endsWith("%")).map((tick) => ({ value: Number(tick.label), y: tick.y - 4 }));
    const [low, high] = [yTicks[0]!, yTicks.at(-1)!];
    const msAtPixel = (y: number) => low.value + ((y - low.y) / (high.y - low.y)) * (high.value - low.value);
    const points = [...parsed.firstCurve.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map(([, x, y]) => ({ x: Number(x), y: Number(y) }));
    expect(points.length).toBeGreaterThan(50);
    const merged = DOCUMENTS.closed.summary.groups[0]!.merged.latencyMs;
    const rangeMs = high.value - low.value;
    for (const [label, expected] of [["90%", merged.p90], ["99%", merged.p99], ["99.9%", merged.p999]] as const) {
      const point = points.find((p) => Math.abs(p.x - at(label).x) < 0.2)!;
      expect(Math.abs(msAtPixel(point.y) - expected)).toBeLessThan(rangeMs * 0.002);
    }
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.x).toBeGreaterThan(points[i - 1]!.x);
      // SVG y grows downwards: a latency that never falls is a y that never grows.
      expect(points[i]!.y).toBeLessThanOrEqual(points[i - 1]!.y);
    }
  });

  test("sweep: best, knee and the SLO are marked and labelled", async () => {
    const document = DOCUMENTS.sweep;
    const { best, knee, slo } = document.summary.sweep!;
    expect(best!.concurrency).not.toBe(knee!.concurrency);
    const parsed = await parse(renderHtmlReport(document));
    expect(parsed.markLabels).toContain(`best, c=${best!.concurrency}`);
    expect(parsed.markLabels).toContain(`knee, c=${knee!.concurrency}`);
    expect(parsed.guideLabels).toEqual([`SLO p99 ${slo!.p99Ms.toFixed(2)} ms`]);
  });

  test("preset: capacity drawn on the offered-load charts and shown as a key figure", async () => {
    const document = DOCUMENTS.preset;
    const html = renderHtmlReport(document);
    const parsed = await parse(html);
    expect(parsed.guideLabels.filter((label) => label.startsWith("capacity "))).toHaveLength(2);
    expect(html).toContain(`${Math.round(document.summary.preset!.capacityRps).toLocaleString("en-US")} req/s`);
    expect(parsed.legends[4]).toEqual(["achieved", "achieved = offered"]);
    for (const level of ["50%", "90%", "110%"]) expect(html).toContain(`at ${level} of capacity`);
  });

  test("preset: each open level's verdict beside the table, the unsustained one in words, and the dropped requests the percentiles leave out", () => {
    const html = renderHtmlReport(DOCUMENTS.preset);
    const verdicts = /<ul class="verdicts">(.*?)<\/ul>/s.exec(html)![1]!;
    const items = [...verdicts.matchAll(/<li class="(\w*)">(.*?)<\/li>/gs)];
    expect(items).toHaveLength(3);
    expect(items.slice(0, 2).map(([, cls, text]) => [cls, /: sustained [\d,]+ req\/s$/.test(text!)])).toEqual([["", true], ["", true]]);
    const [, cls, text] = items[2]!;
    expect(cls).toBe("bad");
    expect(text).toContain("NOT SUSTAINED: could not sustain");
    expect(text).toContain("percentiles exclude 4,000 dropped requests (never sent, so never timed)");
    expect(html).toContain("not sustained");
  });

  test("the results table shows each group's numbers from the document", async () => {
    for (const document of [DOCUMENTS.closed, DOCUMENTS.open, DOCUMENTS.preset]) {
      const [header, ...rows] = (await parse(renderHtmlReport(document))).groupsTable;
      const column = (name: string) => {
        expect(header).toContain(name);
        return header!.indexOf(name);
      };
      const open = document.summary.groups.some((group) => group.phase === "open");
      // Phase headings span the table; service-time rows sit under their group.
      const groupRows = rows.filter((row) => row.length === header!.length);
      const serviceRows = rows.filter((row) => row[0] === "service time");
      expect(groupRows).toHaveLength(document.summary.groups.length);
      document.summary.groups.forEach((group, i) => {
        const row = groupRows[i]!;
        expect(count(row[column("requests")]!)).toBe(group.requests);
        expect(count(row[column("ok")]!)).toBe(group.ok);
        expect(count(row[column("dropped")]!)).toBe(group.dropped);
        const errors = Object.values(group.errors).reduce((a, b) => a + b, 0);
        expect(row[column("errors")]).toStartWith(String(errors));
        if (group.errors.reset > 0) expect(row[column("errors")]).toContain(`reset ${group.errors.reset}`);
        const rate = open ? (group.achievedRps ?? group.throughputRps) : group.throughputRps;
        expect(count(row[column(open ? "achieved req/s" : "throughput req/s")]!)).toBe(Math.round(rate));
        for (const [name, field] of LATENCY_COLUMNS) expectShown(row[column(name)]!, group.latencyMs[field]);
      });
      const withService = document.summary.groups.filter((group) => group.serviceTimeMs !== null);
      expect(serviceRows).toHaveLength(withService.length);
      // The service row spans the count columns with one cell: its latency cells line up from the right.
      withService.forEach((group, i) => expectShown(serviceRows[i]!.at(column("p99 ms") - header!.length)!, group.serviceTimeMs!.p99));
    }
  });

  test("a p99 prints as in the terminal tables: 1.23 ms, 0.765 ms, 12.3 ms", async () => {
    const document = closedDocument();
    const group = document.summary.groups[0]!;
    for (const [p99, shown] of [[1.234, "1.23"], [0.765, "0.765"], [12.34, "12.3"], [1234.4, "1,234"]] as const) {
      group.latencyMs.p99 = p99;
      const [header, row] = (await parse(renderHtmlReport(document))).groupsTable;
      expect(row![header!.indexOf("p99 ms")]).toBe(shown);
    }
  });

  test("text from the document is escaped: a URL or option cannot inject markup", () => {
    const url = `http://example.test/?q=<script>alert("x")</script>&a='1'`;
    const document = closedDocument(url);
    document.options = { 'header"><b>': "<i>value</i>" };
    const html = renderHtmlReport(document);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<i>");
    expect(html).toContain("http://example.test/?q=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;a=&#39;1&#39;");
    expect(html).toContain("&lt;i&gt;value&lt;/i&gt;");
    expect(wellFormednessProblems(html)).toEqual([]);
  });

  test("an interrupted run says so; a document with nothing measured still renders", async () => {
    const interrupted = closedDocument();
    interrupted.summary.interrupted = true;
    expect(renderHtmlReport(interrupted)).toContain("Stopped early");
    const empty = closedDocument();
    empty.runs = [];
    empty.summary.groups = [];
    const html = renderHtmlReport(empty);
    expect(wellFormednessProblems(html)).toEqual([]);
    expect((await parse(html)).svgs).toBe(0);
  });

  test("writeHtmlReport writes the rendered report to the path", () => {
    const path = join(tempDir("html"), "report.html");
    writeHtmlReport(DOCUMENTS.open, path);
    expect(readFileSync(path, "utf8")).toBe(renderHtmlReport(DOCUMENTS.open));
  });
});

describe("per target", () => {
  /** Two repeats at c=4 and one at c=8 of a pool with a login target and twelve item targets. */
  function poolSweep(): ResultDocument {
    const targets = (scale: number) => [
      { name: "login", latenciesUs: [2000, 4000, 8000].map((us) => us * scale), errors: { status_5xx: 2 } },
      ...Array.from({ length: 12 }, (_, i) => ({ name: `GET /items/${i}`, latenciesUs: Array.from({ length: 12 - i }, () => 1000 * scale) })),
    ];
    return pooledDocument([pooledRun(1, targets(1)), pooledRun(2, targets(2)), pooledRun(1, targets(1), 8)].map((run) => ({ ...run, generator: "pool" as const })), "sweep");
  }

  async function targetTables(html: string): Promise<string[][][]> {
    const tables: string[][][] = [];
    let cell = "";
    await new HTMLRewriter()
      .on("table.targets", { element: () => void tables.push([]) })
      .on("table.targets tr", { element: () => void tables.at(-1)!.push([]) })
      .on("table.targets th, table.targets td", {
        element(element) {
          cell = "";
          element.onEndTag(() => void tables.at(-1)!.at(-1)!.push(cell));
        },
        text(chunk) {
          cell += chunk.text;
        },
      })
      .transform(new Response(html))
      .text();
    return tables;
  }

  test("a table per point: every target with its counts and median percentiles; later points a click away", async () => {
    const document = poolSweep();
    const html = renderHtmlReport(document);
    expect(wellFormednessProblems(html)).toEqual([]);
    const tables = await targetTables(html);
    expect(tables).toHaveLength(2);
    const [header, login, ...items] = tables[0]!;
    expect(header).toEqual(["target", "repeats", "requests", "ok", "errors", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"]);
    expect(items).toHaveLength(12);
    expect(login!.slice(0, 4)).toEqual(["login", "2", "10", "6"]);
    expect(login![4]).toBe("4status_5xx 4");
    // login's p99 per repeat: 8 and 16 ms (bucket tops), the median between them.
    expectShown(login![header!.indexOf("p99 ms")]!, targetSummaries(document.runs.slice(0, 2))[0]!.latencyMs.p99);
    expect(html).toContain("<details><summary>c=8: 13 targets</summary>");
  });

  test("a percentile chart per point, the ten targets with the most requests drawn", async () => {
    const parsed = await parse(renderHtmlReport(poolSweep()));
    expect(parsed.chartTitles.filter((title) => title.includes("per target"))).toEqual(["Latency by percentile, per target · c=4", "Latency by percentile, per target · c=8"]);
    const legend = parsed.legends.at(-1)!;
    expect(legend).toHaveLength(10);
    expect(legend.slice(0, 3)).toEqual(["GET /items/0", "GET /items/1", "GET /items/2"]);
    expect(legend).not.toContain("GET /items/11");
  });

  test("the generator is named in the header; a fixed request's report has no per-target section", () => {
    expect(renderHtmlReport(poolSweep())).toContain("request pool, encoded once");
    const fixed = renderHtmlReport(DOCUMENTS.closed);
    expect(fixed).not.toContain('id="targets"');
    expect(fixed).not.toContain("request pool");
  });
});
