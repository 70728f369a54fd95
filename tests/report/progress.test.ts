import { expect, test } from "bun:test";
import type { ClosedRun, OpenRun } from "../../src/config/plan.ts";
import { Progress, sparkline } from "../../src/report/progress.ts";
import { IntervalCutter } from "../../src/stats/intervals.ts";
import type { Interval } from "../../src/stats/result.ts";
import { Tally } from "../../src/stats/tally.ts";

const open: OpenRun = { kind: "open", rateRps: 1000, durationS: 10, concurrency: 50, backlog: 50, arrival: "constant", repeat: 3, warmupS: 2 };
const closed: ClosedRun = { kind: "closed", concurrency: 4, requests: 1000, durationS: null, warmup: 0, repeat: 1 };

class Captured {
  text = "";
  constructor(readonly isTTY: boolean) {}
  write(text: string) {
    this.text += text;
  }
}

/** One interval with latencies of `ms` milliseconds and one timeout. */
function interval(tally: Tally, cutter: IntervalCutter, fromUs: number, ms: number): Interval {
  for (let i = 0; i < 50; i++) tally.onResponse(200, fromUs, fromUs, fromUs + ms * 1000);
  tally.onError("timeout", fromUs, fromUs);
  return cutter.cut(fromUs + 1e6);
}

async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

test("created only when wanted: a terminal for the live line, any stream for lines, never when quiet", () => {
  const options = { progress: true, intervalLines: false, quiet: false };
  expect(Progress.create(options, new Captured(false))).toBeNull();
  expect(Progress.create({ ...options, quiet: true, intervalLines: true }, new Captured(true))).toBeNull();
  const lines = Progress.create({ ...options, intervalLines: true }, new Captured(false));
  expect(lines).not.toBeNull();
  lines!.stop();
  const live = Progress.create(options, new Captured(true));
  expect(live).not.toBeNull();
  live!.stop();
});

test("lines: one plain line per interval, with its rate, latency and errors", () => {
  const stream = new Captured(false);
  const progress = new Progress(stream, true);
  const tally = new Tally(0, 1e12);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  progress.begin("open 1000 req/s", open);
  progress.watch(tally, 2);
  progress.interval(interval(tally, cutter, 0, 3), 2);
  tally.onRetry(1e6);
  progress.interval(interval(tally, cutter, 1e6, 40), 2);
  progress.stop();
  const lines = stream.text.split("\n");
  expect(lines[0]).toBe("open 1000 req/s repeat 2/3  t=1.0 s  50 req/s  p50 3.00 ms  p99 3.00 ms  max 3.00 ms  1 errors");
  expect(lines[1]).toStartWith("open 1000 req/s repeat 2/3  t=2.0 s  50 req/s  p50 40 ms");
  expect(lines[1]).toEndWith("1 errors  1 retried");
  expect(stream.text).not.toContain("\x1b");
});

test("live: a redrawn line with elapsed of planned time, ETA, errors and the p99 sparkline", async () => {
  const stream = new Captured(true);
  let nowMs = 0;
  const progress = new Progress(stream, false, () => nowMs);
  const tally = new Tally(0, 1e12);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  progress.begin("open", open);
  progress.watch(tally, 1);
  nowMs = 3000;
  progress.interval(interval(tally, cutter, 0, 2), 1);
  progress.interval(interval(tally, cutter, 1e6, 8), 1);
  await eventually(() => stream.text.includes("p99"));
  progress.stop();
  const last = stream.text.split("\r\x1b[2K").filter(Boolean).at(-1)!;
  // Repeat 1 plans the warm-up and the window (12 s); two more 10 s repeats follow: 9 + 20 s left.
  expect(last).toStartWith("open repeat 1/3  3.0/12 s  ETA 29 s  ");
  expect(last).toContain("2 errors");
  expect(last).toEndWith("p50 8.00 ms p99 8.00 ms ▃█");
  expect(stream.text.endsWith("\r\x1b[2K")).toBe(true);
});

test("live, count-bound: requests done of planned", async () => {
  const stream = new Captured(true);
  let nowMs = 0;
  const progress = new Progress(stream, false, () => nowMs);
  const tally = new Tally(0);
  progress.begin("closed", closed);
  progress.watch(tally, 1);
  for (let i = 0; i < 250; i++) tally.onResponse(200, 0, 0, 100);
  nowMs = 1000;
  await eventually(() => stream.text.includes("250/1,000"));
  progress.stop();
  expect(stream.text).toContain("closed repeat 1/1  250/1,000  ETA 3 s");
});

test("sparkline scales to the largest value", () => {
  expect(sparkline([1, 2, 4, 8])).toBe("▂▃▅█");
  expect(sparkline([0, 0])).toBe("▁▁");
  expect(sparkline([])).toBe("");
});
