import { expect, test } from "bun:test";
import { CSV_COLUMNS, csv, csvField, documentLines } from "../../src/report/csv.ts";
import type { ResultDocument } from "../../src/stats/document.ts";
import { summarizeRepeats } from "../../src/stats/summary.ts";
import { LatencyRecorder, encodeHistogram } from "../../src/stats/histogram.ts";
import { latencyMs, zeroErrors } from "../../src/stats/summary.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { pooledRun } from "../support/targets.ts";

test("the header is exactly the contract's columns, in order, then the appended ones", () => {
  expect(CSV_COLUMNS.join(",")).toBe(
    "batch_ts,phase,profile,url,concurrency,target_rps,achieved_rps,throughput_rps,repeats,requests,ok,errors,dropped,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,sustained," +
      "stage,stage_start_s,stage_duration_s,probe,probe_step,verdict,why,target",
  );
});

test("RFC 4180 quoting: commas, quotes and line breaks are quoted, quotes doubled; empty cells for null", () => {
  expect(csvField("plain")).toBe("plain");
  expect(csvField("a,b")).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField("two\nlines")).toBe('"two\nlines"');
  expect(csvField("cr\rhere")).toBe('"cr\rhere"');
  expect(csvField(null)).toBe("");
  expect(csvField(12.34567)).toBe("12.346");
  expect(csvField(5000)).toBe("5000");
});

test("one row per measured point, numbers without units, CRLF line ends", () => {
  const recorder = new LatencyRecorder();
  for (const us of [100, 200, 300]) recorder.record(us);
  const run: RunResult = {
    phase: "closed",
    concurrency: 4,
    targetRps: null,
    repeat: 1,
    durationS: 1,
    sent: 3,
    requests: 3,
    ok: 3,
    dropped: 0,
    errors: zeroErrors(),
    statuses: { "200": 3 },
    throughputRps: 3,
    achievedRps: null,
    latencyMs: latencyMs(recorder.histogram),
    serviceTimeMs: null,
    histogram: encodeHistogram(recorder.histogram),
  };
  const text = csv(summarizeRepeats([run]), { batchTs: "2026-01-01T00:00:00.000Z", url: "http://127.0.0.1:1/?a=1,2", profile: "" });
  const lines = text.split("\r\n");
  expect(lines).toHaveLength(3);
  expect(lines[2]).toBe("");
  expect(lines[1]).toBe('2026-01-01T00:00:00.000Z,closed,,"http://127.0.0.1:1/?a=1,2",4,,,3,1,3,3,0,0,0.2,0.2,0.3,0.3,0.3,0.3,,,,,,,,,');
});

test("a run in stages: its row, then one row per stage with its place in the window and its verdict", () => {
  const recorder = new LatencyRecorder();
  recorder.record(1000);
  const latency = latencyMs(recorder.histogram);
  const stage = (n: number, startS: number, fromRps: number, toRps: number, achievedRps: number, sustained: boolean) => ({
    stage: n, startS, durationS: 1, fromRps, toRps, targetRps: (fromRps + toRps) / 2, sent: 10, requests: 10, ok: 10, dropped: 0, errors: zeroErrors(), achievedRps, latencyMs: latency, sustained,
  });
  const run: RunResult = {
    phase: "open", concurrency: 8, targetRps: 75, repeat: 1, durationS: 2, sent: 20, requests: 20, ok: 20, dropped: 0, errors: zeroErrors(), statuses: { "200": 20 },
    throughputRps: 10, achievedRps: 10, latencyMs: latency, serviceTimeMs: latency, histogram: encodeHistogram(recorder.histogram),
    stages: [stage(1, 0, 0, 100, 50, true), stage(3, 1, 100, 100, 60, false)],
  };
  const document = { runs: [run], summary: { groups: summarizeRepeats([run]) } } as unknown as ResultDocument;
  const lines = csv(documentLines(document), { batchTs: "T", url: "u", profile: "" }).trim().split("\r\n");
  expect(lines).toHaveLength(4);
  const cells = (line: string, ...columns: string[]) => columns.map((column) => line.split(",")[CSV_COLUMNS.indexOf(column as (typeof CSV_COLUMNS)[number])]);
  expect(cells(lines[1]!, "phase", "stage", "sustained")).toEqual(["open", "", "false"]);
  expect(cells(lines[2]!, "phase", "target_rps", "achieved_rps", "throughput_rps", "repeats", "sustained", "stage", "stage_start_s", "stage_duration_s")).toEqual(["open_stage", "50", "50", "", "1", "true", "1", "0", "1"]);
  expect(cells(lines[3]!, "phase", "target_rps", "achieved_rps", "sustained", "stage", "stage_start_s")).toEqual(["open_stage", "100", "60", "false", "3", "1"]);
});

test("a request pool's targets: a row each under their point's, named in the appended column", () => {
  const runs = [
    pooledRun(1, [
      { name: "login", latenciesUs: [1000, 2000], errors: { status_5xx: 1 } },
      { name: "GET /items", latenciesUs: [3000] },
    ]),
    pooledRun(2, [
      { name: "login", latenciesUs: [1000, 4000] },
      { name: "GET /items", latenciesUs: [5000, 5000] },
    ]),
  ];
  const document = { runs, summary: { groups: summarizeRepeats(runs) } } as unknown as ResultDocument;
  const lines = csv(documentLines(document), { batchTs: "T", url: "u", profile: "" }).trim().split("\r\n");
  expect(lines).toHaveLength(4);
  const tail = ",,,,,,,";
  expect(lines[1]!.endsWith(`${tail},`)).toBe(true);
  // Each percentile the median of the two repeats' (the mean of two): login p99 2 and 4 ms, items 3 and 5 ms.
  expect(lines[2]).toBe(`T,closed,,u,4,,,,2,5,4,1,,2,1,3.001,3.001,3.001,3.001,${tail},login`);
  expect(lines[3]).toBe(`T,closed,,u,4,,,,2,3,3,0,,4.002,4.002,4.002,4.002,4.002,4.002,${tail},GET /items`);
  expect(lines[2]!.split(",")).toHaveLength(CSV_COLUMNS.length);
});
