import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HistogramLogReader, listTags } from "hdr-histogram-js";
import { RunError } from "../../src/errors.ts";
import { cutHlog, hlogHeader, hlogLines, hlogRunComment } from "../../src/report/hlog.ts";
import { TimeOutputs } from "../../src/report/time-outputs.ts";
import { decodeHistogram, encodeHistogram, mergeHistograms, type Histogram } from "../../src/stats/histogram.ts";
import { IntervalCutter } from "../../src/stats/intervals.ts";
import type { Interval } from "../../src/stats/result.ts";
import { Tally } from "../../src/stats/tally.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("hlog");
const BASE_MS = Date.parse("2026-03-04T05:06:07.250Z");

/** `count` one-second intervals of an open loop, interval k recording latencies around (k+1) ms. */
function openIntervals(count: number): Interval[] {
  const tally = new Tally(Number.NEGATIVE_INFINITY, 1e12);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  const intervals: Interval[] = [];
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < 100; i++) {
      const nowUs = k * 1e6 + i * 10_000;
      tally.onSend(nowUs, nowUs);
      tally.lag.record(5 + i);
      tally.onResponse(200, nowUs - (k + 1) * 1000 - i, nowUs - 100 - i, nowUs);
    }
    intervals.push(cutter.cut((k + 1) * 1e6));
  }
  return intervals;
}

function read(text: string): Histogram[] {
  const reader = new HistogramLogReader(text);
  const histograms: Histogram[] = [];
  for (let histogram = reader.nextIntervalHistogram(); histogram !== null; histogram = reader.nextIntervalHistogram()) histograms.push(histogram);
  return histograms;
}

describe("the .hlog format", () => {
  const intervals = openIntervals(3);
  // A second run starting 10 s after the first: one log, one BaseTime.
  const text =
    hlogHeader(BASE_MS) +
    hlogRunComment("open 1000 req/s repeat 1") +
    intervals.map((interval) => hlogLines(interval, BASE_MS, BASE_MS)).join("") +
    hlogRunComment("open 1000 req/s repeat 2") +
    intervals.map((interval) => hlogLines(interval, BASE_MS + 10_000, BASE_MS)).join("");

  test("the header is format 1.3 with StartTime and BaseTime, and no blank line", () => {
    expect(text.split("\n").slice(0, 5)).toEqual([
      "#[Histogram log format version 1.3]",
      "#[StartTime: 1772600767.250 (seconds since epoch), 2026-03-04T05:06:07.250Z]",
      "#[BaseTime: 1772600767.250 (seconds since epoch)]",
      "#[Written by minibench: values in microseconds; Interval_Max in milliseconds (max value unit ratio 1000)]",
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    ]);
    expect(text).not.toContain("\n\n");
  });

  test("interval lines: tag, start from BaseTime, length, max in ms, the histogram", () => {
    const lines = text.split("\n").filter((line) => line.startsWith("Tag="));
    expect(lines).toHaveLength(18);
    expect(lines[0]).toStartWith(`Tag=latency,0.000,1.000,${(decodeHistogram(intervals[0]!.histogram).maxValue / 1000).toFixed(3)},HISTF`);
    expect(lines[1]).toStartWith("Tag=service,0.000,1.000,");
    expect(lines[2]).toStartWith("Tag=lag,0.000,1.000,0.104,");
    expect(lines[9]).toStartWith("Tag=latency,10.000,1.000,");
    expect(listTags(text).sort()).toEqual(["lag", "latency", "service"]);
  });

  test("hdr-histogram-js's HistogramLogReader reads it back: times, tags and histograms", () => {
    const histograms = read(text);
    expect(histograms).toHaveLength(18);
    const latency = histograms.filter((h) => h.tag === "latency");
    expect(latency.map((h) => h.startTimeStampMsec - BASE_MS)).toEqual([0, 1000, 2000, 10_000, 11_000, 12_000]);
    expect(latency.map((h) => h.endTimeStampMsec - h.startTimeStampMsec)).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    expect(latency.slice(0, 3).map((h) => encodeHistogram(h))).toEqual(intervals.map((i) => i.histogram));
    const lag = histograms.filter((h) => h.tag === "lag");
    expect(lag[1]!.totalCount).toBe(100);
  });

  test("a closed loop's interval has only the latency line", () => {
    const { serviceHistogram: _, lagHistogram: __, ...closed } = intervals[0]!;
    expect(hlogLines(closed, BASE_MS, BASE_MS).trimEnd().split("\n")).toHaveLength(1);
  });

  test("cutHlog: the exact sum of one tag's intervals inside a window", () => {
    const all = cutHlog(text, { startS: 0, endS: Number.POSITIVE_INFINITY, tag: "latency" });
    expect(all.intervals).toBe(6);
    expect(all.histogram.totalCount).toBe(600);
    const warmedUp = cutHlog(text, { startS: 1, endS: 3, tag: "latency" });
    expect(warmedUp.intervals).toBe(2);
    expect(warmedUp.intervalsOfTag).toBe(6);
    expect([warmedUp.firstS, warmedUp.lastS]).toEqual([1, 3]);
    expect(encodeHistogram(warmedUp.histogram)).toBe(encodeHistogram(mergeHistograms(intervals.slice(1).map((i) => decodeHistogram(i.histogram)))));
    expect(cutHlog(text, { startS: 0, endS: 100, tag: "lag" }).histogram.totalCount).toBe(600);
    expect(cutHlog(text, { startS: 0, endS: 100, tag: "nope" }).intervals).toBe(0);
  });

  test("cutHlog names a line that is not a log line", () => {
    expect(() => cutHlog(`${text}garbage line\n`, { startS: 0, endS: 100, tag: "latency" })).toThrow(/^line 26: not an interval line/);
    expect(() => cutHlog("Tag=latency,0.000,1.000,1.000,HISTFnotbase64\n", { startS: 0, endS: 100, tag: "latency" })).toThrow(/^line 1: the histogram does not decode/);
  });
});

describe("TimeOutputs", () => {
  test("writes the header once, a comment per run, and every interval to both files as it comes", () => {
    const hlogPath = join(dir, "run.hlog");
    const intervalsJsonPath = join(dir, "run.ndjson");
    const outputs = new TimeOutputs({ hlogPath, intervalsJsonPath });
    const intervals = openIntervals(2);
    const point = { phase: "open" as const, concurrency: 50, targetRps: 1000, repeat: 1 };
    outputs.add(intervals[0]!, point, BASE_MS);
    // Written at once, not at the end: a reader following the file sees the first interval now.
    expect(readFileSync(intervalsJsonPath, "utf8").split("\n")).toHaveLength(2);
    outputs.add(intervals[1]!, point, BASE_MS);
    outputs.add(intervals[0]!, { ...point, repeat: 2 }, BASE_MS + 5000);
    outputs.close();
    const hlog = readFileSync(hlogPath, "utf8");
    expect(hlog.match(/#\[Histogram log format/g)).toHaveLength(1);
    expect(hlog.match(/^#\[Run: .*$/gm)).toEqual([
      "#[Run: open 1000 req/s repeat 1, started 2026-03-04T05:06:07.250Z]",
      "#[Run: open 1000 req/s repeat 2, started 2026-03-04T05:06:12.250Z]",
    ]);
    expect(read(hlog).filter((h) => h.tag === "latency").map((h) => h.startTimeStampMsec - BASE_MS)).toEqual([0, 1000, 5000]);
    const lines = readFileSync(intervalsJsonPath, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.time, line.repeat, line.startS])).toEqual([
      ["2026-03-04T05:06:07.250Z", 1, 0],
      ["2026-03-04T05:06:08.250Z", 1, 1],
      ["2026-03-04T05:06:12.250Z", 2, 0],
    ]);
    expect(lines[1]).toMatchObject({ phase: "open", concurrency: 50, targetRps: 1000, requests: 100, histogram: intervals[1]!.histogram });
  });

  test("a path that cannot be written fails when opened, as a run error", () => {
    expect(() => new TimeOutputs({ hlogPath: join(dir, "no", "such", "dir.hlog"), intervalsJsonPath: null })).toThrow(RunError);
    expect(new TimeOutputs({ hlogPath: null, intervalsJsonPath: null }).active).toBe(false);
  });
});
