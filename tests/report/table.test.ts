import { describe, expect, test } from "bun:test";
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { closedTable } from "../../src/report/table.ts";
import { latencyMs, summarizeRepeats, zeroErrors } from "../../src/stats/summary.ts";

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
