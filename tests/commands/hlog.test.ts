import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hlogHeader, hlogLines } from "../../src/report/hlog.ts";
import { decodeHistogram, hgrm, mergeHistograms } from "../../src/stats/histogram.ts";
import type { Interval } from "../../src/stats/result.ts";
import { IntervalCutter } from "../../src/stats/intervals.ts";
import { Tally } from "../../src/stats/tally.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/** `minibench hlog`: a time window cut out of an interval log, end to end. */

const dir = tempDir("hlog-command");
const BASE_MS = Date.parse("2026-05-06T07:08:09.000Z");

// Ten 1 s intervals of an open loop: a slow warm-up (20 ms) for 3 s, then 1 ms.
const tally = new Tally(Number.NEGATIVE_INFINITY, 1e12);
const cutter = new IntervalCutter(tally);
cutter.start(0);
const intervals: Interval[] = [];
for (let second = 0; second < 10; second++) {
  for (let i = 0; i < 200; i++) {
    const nowUs = second * 1e6 + i * 5000;
    tally.lag.record(10);
    tally.onResponse(200, nowUs - (second < 3 ? 20_000 : 1000) - i, nowUs - 500, nowUs);
  }
  intervals.push(cutter.cut((second + 1) * 1e6));
}
const log = join(dir, "run.hlog");
writeFileSync(log, hlogHeader(BASE_MS) + intervals.map((interval) => hlogLines(interval, BASE_MS, BASE_MS)).join(""));
const expected = (from: number, to: number) => hgrm(mergeHistograms(intervals.slice(from, to).map((i) => decodeHistogram(i.histogram))));

describe("minibench hlog", () => {
  test("without a window: the whole log's latency distribution on stdout, a summary on stderr", async () => {
    const { stdout, stderr, code } = await runCli(["hlog", log]);
    expect(code).toBe(0);
    expect(stdout).toBe(expected(0, 10));
    expect(stderr).toStartWith('10 of 10 "latency" intervals, 0.000–10.000 s: 2,000 values');
  });

  test("--start leaves the warm-up out; --hgrm writes the distribution to a file", async () => {
    const out = join(dir, "steady.hgrm");
    const { stdout, stderr, code } = await runCli(["hlog", log, "--start", "3", "--end", "9s", "--hgrm", out]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe(expected(3, 9));
    expect(stderr).toContain('6 of 10 "latency" intervals, 3.000–9.000 s: 1,200 values, p50 1.');
    expect(stderr).toContain("max 1.2");
  });

  test("--tag picks the service time or the lag", async () => {
    const { stdout, code } = await runCli(["hlog", log, "--tag", "service"]);
    expect(code).toBe(0);
    expect(stdout).toBe(hgrm(mergeHistograms(intervals.map((i) => decodeHistogram(i.serviceHistogram!)))));
  });

  test("nothing to report, a bad file, a bad flag: exit 2, one line", async () => {
    const cases: [string[], string][] = [
      [["hlog", log, "--tag", "nope"], 'it has no "nope" intervals (tags: latency, service, lag)'],
      [["hlog", log, "--start", "9.5"], 'none of its 10 "latency" intervals lies wholly in the window'],
      [["hlog", log, "--start", "5", "--end", "4"], "--end 4 is not after --start 5"],
      [["hlog", log, "--start", "soon"], "--start"],
      [["hlog", join(dir, "missing.hlog")], "cannot read the interval log (no such file)"],
      [["hlog", join(import.meta.dir, "hlog.test.ts")], "not an interval log: line 1"],
      [["hlog"], "an interval log is needed"],
    ];
    for (const [args, message] of cases) {
      const { stdout, stderr, code } = await runCli(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toContain(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stdout).toBe("");
    }
  }, 30_000);
});
