import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HistogramLogReader, listTags } from "hdr-histogram-js";
import { decodeHistogram, mergeHistograms, type Histogram } from "../../src/stats/histogram.ts";
import type { ResultDocument } from "../../src/stats/document.ts";
import { runCli } from "../support/cli.ts";
import schema from "../result.schema.json" with { type: "json" };
import { validate } from "../support/json-schema.ts";
import { tempDir } from "../support/temp-dir.ts";

/** Runs over time end to end: `.hlog`, `--intervals-json` and `intervals[]`, read back by other readers. */

const dir = tempDir("intervals");

const PERCENTILES = [0, 50, 90, 99, 99.9, 100];
const fingerprint = (histogram: Histogram) => ({ count: histogram.totalCount, percentiles: PERCENTILES.map((p) => histogram.getValueAtPercentile(p)) });

/** Every interval histogram of one tag, as hdr-histogram-js's own log reader reads the file. */
function readLog(path: string, tag: string): Histogram[] {
  const reader = new HistogramLogReader(readFileSync(path, "utf8"));
  const histograms: Histogram[] = [];
  for (let histogram = reader.nextIntervalHistogram(); histogram !== null; histogram = reader.nextIntervalHistogram()) {
    if (histogram.tag === tag) histograms.push(histogram);
  }
  return histograms;
}

describe("a 10 s closed run with --hlog", () => {
  test("the log reads back in HistogramLogReader and adds up exactly to the run", async () => {
    const hlog = join(dir, "closed.hlog");
    const out = join(dir, "closed.json");
    const { code, stderr } = await runCli(["bench", "closed", "--serve", "-d", "10", "-c", "4", "--repeat", "1", "--warmup", "100", "--hlog", hlog, "--out", out, "--quiet"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const document: ResultDocument = JSON.parse(readFileSync(out, "utf8"));
    expect(validate(document, schema)).toEqual([]);
    const run = document.runs[0]!;
    const text = readFileSync(hlog, "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toBe("#[Histogram log format version 1.3]");
    expect(lines[1]).toMatch(/^#\[StartTime: \d+\.\d{3} \(seconds since epoch\), \d{4}-/);
    expect(lines[2]).toMatch(/^#\[BaseTime: \d+\.\d{3} \(seconds since epoch\)\]$/);
    expect(lines).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    // A closed loop records latency only.
    expect(listTags(text)).toEqual(["latency"]);

    const intervals = readLog(hlog, "latency");
    expect(intervals.length).toBe(run.intervals!.length);
    expect(intervals.length).toBeGreaterThanOrEqual(10);
    expect(intervals.length).toBeLessThanOrEqual(11);
    expect(fingerprint(mergeHistograms(intervals))).toEqual(fingerprint(decodeHistogram(run.histogram)));
    // The reader places each interval in absolute time: BaseTime plus the interval's start.
    const startMs = Date.parse(run.startedAt!);
    expect(Math.abs(intervals[0]!.startTimeStampMsec - startMs)).toBeLessThan(2);
    const lengthS = intervals.reduce((sum, h) => sum + (h.endTimeStampMsec - h.startTimeStampMsec) / 1000, 0);
    expect(Math.abs(lengthS - run.durationS)).toBeLessThan(0.001 * intervals.length);
    for (let k = 1; k < intervals.length; k++) {
      expect(Math.abs(intervals[k]!.startTimeStampMsec - intervals[k - 1]!.endTimeStampMsec)).toBeLessThan(1.5);
    }
  }, 30_000);
});

describe("an open run with --hlog and --intervals-json", () => {
  test("latency, service and lag are logged; the JSON lines match the document's intervals", async () => {
    const hlog = join(dir, "open.hlog");
    const ndjson = join(dir, "open.ndjson");
    const out = join(dir, "open.json");
    const { code } = await runCli([
      "bench", "open", "--serve", "--rps", "500", "-d", "2", "--warmup-sec", "0.5", "--repeat", "2", "--interval", "0.5",
      "--hlog", hlog, "--intervals-json", ndjson, "--out", out, "--quiet",
    ]);
    expect(code).toBe(0);
    const document: ResultDocument = JSON.parse(readFileSync(out, "utf8"));
    expect(validate(document, schema)).toEqual([]);
    expect(listTags(readFileSync(hlog, "utf8")).sort()).toEqual(["lag", "latency", "service"]);
    const lines = readFileSync(ndjson, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    const intervals = document.runs.flatMap((run) => run.intervals!.map((interval) => ({ repeat: run.repeat, ...interval })));
    expect(lines.map((line) => [line.repeat, line.requests, line.histogram])).toEqual(intervals.map((i) => [i.repeat, i.requests, i.histogram]));
    expect(lines[0]).toMatchObject({ phase: "open", targetRps: 500, concurrency: 800 });
    for (const tag of ["latency", "service", "lag"] as const) {
      const logged = readLog(hlog, tag);
      expect(logged).toHaveLength(intervals.length);
    }
    // Repeat after repeat in one log: each run's stretch of service-time lines adds up to its histogram.
    const service = readLog(hlog, "service");
    let offset = 0;
    for (const run of document.runs) {
      const own = service.slice(offset, (offset += run.intervals!.length));
      expect(fingerprint(mergeHistograms(own))).toEqual(fingerprint(decodeHistogram(run.serviceHistogram!)));
    }
  }, 30_000);
});

describe("without a time output", () => {
  test("the document has no intervals", async () => {
    const { stdout, code } = await runCli(["bench", "closed", "--serve", "-n", "300", "-c", "2", "--repeat", "1", "--json", "--quiet"]);
    expect(code).toBe(0);
    const document: ResultDocument = JSON.parse(stdout);
    expect(document.schemaVersion).toBe(2);
    expect(document.runs[0]!.intervals).toBeUndefined();
  }, 15_000);

  test("--interval-lines prints one line per interval on stderr, none on stdout", async () => {
    const { stdout, stderr, code } = await runCli(["bench", "closed", "--serve", "-d", "1.2", "-c", "2", "--repeat", "1", "--interval", "0.5", "--interval-lines", "--json"]);
    expect(code).toBe(0);
    const document: ResultDocument = JSON.parse(stdout);
    const progress = stderr.split("\n").filter((line) => line.startsWith("closed repeat 1/1"));
    expect(progress).toHaveLength(document.runs[0]!.intervals!.length);
    expect(progress[0]).toMatch(/t=0\.5 s {2}[\d,]+ req\/s {2}p50 [\d.]+ ms {2}p99 [\d.]+ ms/);
  }, 15_000);

  test("an --hlog path that cannot be written fails before any load, exit 1", async () => {
    const { stderr, code } = await runCli(["bench", "closed", "--serve", "-n", "100", "--hlog", join(dir, "missing", "x.hlog")]);
    expect(code).toBe(1);
    expect(stderr).toContain("cannot write");
    expect(stderr).not.toContain("    at ");
  }, 15_000);
});
