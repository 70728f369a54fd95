import { describe, expect, test } from "bun:test";
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { closedTable, openTable, renderTable, sweepTable, verdictLines } from "../../src/report/table.ts";
import { latencyMs, summarizeRepeats, zeroErrors } from "../../src/stats/summary.ts";
import { run, sweepDocument } from "../support/documents.ts";

function closedRun(extra: Partial<RunResult>): RunResult {
  const recorder = new LatencyRecorder();
  recorder.record(1000);
  return {
    phase: "closed",
    concurrency: 1,
    targetRps: null,
    repeat: 1,
    durationS: 1,
    sent: 10,
    requests: 10,
    ok: 10,
    dropped: 0,
    errors: zeroErrors(),
    statuses: { "200": 10 },
    throughputRps: 10,
    achievedRps: null,
    latencyMs: latencyMs(recorder.histogram),
    serviceTimeMs: null,
    histogram: encodeHistogram(recorder.histogram),
    ...extra,
  };
}

describe("the error note under a table", () => {
  test("errors by kind, parse errors with their reasons, and the requests retried", () => {
    const run = closedRun({ ok: 6, errors: { ...zeroErrors(), parse: 3, closed: 1 }, parseErrors: { "bad status line": 2, "bad chunk size": 1 }, retried: 7 });
    const [group] = summarizeRepeats([run]);
    const note = closedTable([run], group!).split("\n").at(-1)!;
    expect(note).toContain("errors: parse 3 (bad status line 2, bad chunk size 1), closed 1");
    expect(note).toContain("retried 7 (sent again after the server closed their connection)");
  });

  test("nothing retried, no errors: neither is noted", () => {
    const run = closedRun({ parseErrors: {}, retried: 0 });
    const [group] = summarizeRepeats([run]);
    const note = closedTable([run], group!).split("\n").at(-1)!;
    expect(note).not.toContain("errors:");
    expect(note).not.toContain("retried");
  });
});

const lines = (text: string) => text.split("\n");
const cells = (line: string) => line.trim().split(/\s{2,}/);

describe("renderTable", () => {
  test("the first column left-aligned, the others right-aligned, two spaces apart", () => {
    expect(renderTable(["a", "bb"], [["xyz", "1"], ["q", "22"]])).toBe("a    bb\nxyz   1\nq    22");
  });
});

describe("closedTable", () => {
  // Three repeats of 230,394 / 235,178 / 251,097 requests, errors 155 / 0 / 0: the median is 235,178 and 0.
  const runs: RunResult[] = [230_394, 235_178, 251_097].map((requests, i) => ({
    ...run({ phase: "closed", concurrency: 200, repeat: i + 1, lowUs: 100, highUs: 900, throughputRps: 100_000 + i }),
    requests,
    errors: { ...run({ phase: "closed", concurrency: 200, lowUs: 1, highUs: 2, throughputRps: 1 }).errors, closed: i === 0 ? 155 : 0 },
  }));
  const [group] = summarizeRepeats(runs);
  const text = closedTable(runs, group!);

  test("the row labelled median shows medians, not means", () => {
    const median = cells(lines(text).find((line) => line.startsWith("median"))!);
    expect(median.slice(0, 4)).toEqual(["median", "235,178", "0", "100,001"]);
  });

  test("totals are labelled as totals", () => {
    expect(text).toContain("total over 3 repeats: 716,669 requests, 155 errors");
    expect(text).toContain("errors: closed 155");
  });

  test("one row per repeat, with the percentiles formatted as every view formats them", () => {
    const rows = lines(text).filter((line) => line.startsWith("#"));
    expect(rows.map((row) => cells(row)[0])).toEqual(["#1", "#2", "#3"]);
    expect(cells(rows[0]!)[4]).toMatch(/^\d\.\d{3}$/);
  });
});

describe("openTable", () => {
  const level = (extra: Partial<RunResult>, repeat: number): RunResult => ({
    ...run({ phase: "open", concurrency: 100, targetRps: 10_000, repeat, lowUs: 100, highUs: 900, throughputRps: 10_000 }),
    sent: 100_000,
    ...extra,
  });

  test("a run in stages: a row per stage under its repeat, with what it asked for and its verdict", () => {
    const base = level({}, 1);
    const stage = (n: number, startS: number, fromRps: number, toRps: number, achievedRps: number, sustained: boolean) => ({
      stage: n, startS, durationS: 10, fromRps, toRps, targetRps: (fromRps + toRps) / 2, sent: 1, requests: 1, ok: 1, dropped: 0, errors: zeroErrors(), achievedRps, latencyMs: base.latencyMs, sustained,
    });
    const runs = [{ ...base, stages: [stage(1, 0, 0, 10_000, 5_000, true), stage(3, 10, 20_000, 20_000, 12_000, false)] }];
    const rows = lines(openTable(runs, summarizeRepeats(runs)[0]!));
    expect(cells(rows.find((line) => line.includes("stage 1"))!).slice(0, 3)).toEqual(["stage 1 0→10,000/s (0–10 s)", "5,000", "yes"]);
    expect(cells(rows.find((line) => line.includes("stage 3"))!).slice(0, 3)).toEqual(["stage 3 20,000/s (10–20 s)", "12,000", "NO"]);
  });

  test("a sustained rate says yes, and nothing about drops", () => {
    const runs = [level({}, 1), level({}, 2)];
    const text = openTable(runs, summarizeRepeats(runs)[0]!);
    expect(lines(text)[0]).toContain("sustained");
    expect(cells(lines(text).find((line) => line.startsWith("median latency"))!)[2]).toBe("yes");
    expect(text).not.toContain("dropped request");
    expect(text).not.toContain("NOT SUSTAINED");
  });

  test("an unsustained rate: NO in the table, why in words, the limit, and the percentiles said to exclude the dropped", () => {
    const runs = [level({ achievedRps: 6_000, dropped: 70_000, serviceTimeMs: { min: 0.05, mean: 40, p50: 40, p90: 50, p99: 60, p999: 70, max: 80 } }, 1)];
    const text = openTable(runs, summarizeRepeats(runs)[0]!);
    expect(cells(lines(text).find((line) => line.startsWith("#1 latency"))!)[2]).toBe("NO");
    expect(text).toContain("percentiles exclude 70,000 dropped requests (never sent, so never timed)");
    expect(text).toContain("NOT SUSTAINED: could not sustain 10,000 req/s: achieved 6,000 req/s (60% of the target), 41% of scheduled requests were never sent");
    expect(text).toContain("the limit: the server\n  server: service time rose to p50 40.0 ms");
    expect(text).toContain("total over 1 repeat: 2,000 requests, 0 errors, 70,000 dropped");
  });

  test("the scheduler lag of the last repeat, or why there is none", () => {
    const lagMs = { min: 0.001, mean: 0.02, p50: 0.014, p90: 0.05, p99: 0.25, p999: 0.4, max: 1 };
    const measured = [level({ schedulerLagMs: lagMs }, 1)];
    expect(openTable(measured, summarizeRepeats(measured)[0]!)).toContain("scheduler lag p50 0.014 ms, p99 0.250 ms (last repeat)");
    // In overload no request may find a free connection when due: no lag was measured, which is not a lag of 0.
    const saturated = [level({}, 1)];
    const text = openTable(saturated, summarizeRepeats(saturated)[0]!);
    expect(text).toContain("scheduler lag: not measured in the last repeat (no request found a free connection when it was due)");
    expect(text).not.toContain("scheduler lag p50");
  });

  test("the median row of an open point shows medians of its repeats", () => {
    const runs = [level({ dropped: 10 }, 1), level({ dropped: 20 }, 2), level({ dropped: 600 }, 3)];
    const median = cells(lines(openTable(runs, summarizeRepeats(runs)[0]!)).find((line) => line.startsWith("median latency"))!);
    expect(median[4]).toBe("20");
  });
});

test("verdictLines: nothing for a sustained point or a closed one", () => {
  expect(verdictLines(null)).toEqual([]);
  expect(verdictLines({ sustained: true, shortfall: [] })).toEqual([]);
});

test("sweepTable marks the best and the knee and says them in words", () => {
  const document = sweepDocument();
  const text = sweepTable(document.summary.groups, document.summary.sweep!);
  expect(lines(text)).toHaveLength(document.summary.groups.length + 1 + 2);
  expect(text).toMatch(/best: [\d,]+ req\/s at concurrency \d+; knee: concurrency \d+ already reaches/);
  expect(text).toContain(document.summary.sweep!.slo!.point ? "capacity within p99 ≤ 2 ms" : "no concurrency met p99 ≤ 2 ms");
});
