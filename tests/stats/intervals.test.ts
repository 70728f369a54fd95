import { describe, expect, test } from "bun:test";
import { decodeHistogram, encodeHistogram, mergeHistograms } from "../../src/stats/histogram.ts";
import { intervalLatencyMs, IntervalCutter, mergeTimelines } from "../../src/stats/intervals.ts";
import { LatencyRecorder } from "../../src/stats/histogram.ts";
import { latencyMs } from "../../src/stats/summary.ts";
import { logUniformUs } from "../support/random.ts";
import { mergeDocuments, type NamedDocument } from "../../src/stats/merge-documents.ts";
import type { Interval } from "../../src/stats/result.ts";
import { Tally } from "../../src/stats/tally.ts";
import { openDocument } from "../support/documents.ts";
import { seededRandom } from "../support/random.ts";

/** The exact sum of some intervals' histograms, as encoded text (equal data encodes to equal bytes). */
const sumOf = (encoded: readonly string[]) => encodeHistogram(mergeHistograms(encoded.map(decodeHistogram)));
const total = (intervals: readonly Interval[], pick: (interval: Interval) => number) => intervals.reduce((sum, i) => sum + pick(i), 0);

/** An open loop's tally fed 10 s of random outcomes, cut every second at a timer-like jittered time. */
function recordedRun(seed: number) {
  const random = seededRandom(seed);
  const startUs = 5_000_000;
  const tally = new Tally(startUs, startUs + 10e6);
  const cutter = new IntervalCutter(tally);
  cutter.start(startUs);
  let nowUs = startUs;
  const intervals: Interval[] = [];
  for (let second = 1; second <= 10; second++) {
    const cutUs = startUs + second * 1e6 + random() * 2000;
    while (nowUs < cutUs - 500) {
      nowUs += random() * 1000;
      tally.onSend(nowUs, nowUs);
      tally.lag.record(random() * 100);
      const kind = random();
      if (kind < 0.9) tally.onResponse(kind < 0.85 ? 200 : 503, nowUs - random() * 5000, nowUs - random() * 100, nowUs);
      else if (kind < 0.95) tally.onError("timeout", nowUs - 1000, nowUs);
      else tally.onDrop(nowUs);
      if (kind < 0.02) tally.onRetry(nowUs);
    }
    intervals.push(cutter.cut(cutUs));
  }
  return { tally, intervals, startUs, endUs: nowUs };
}

describe("IntervalCutter", () => {
  test.each([1, 2, 3])("intervals add up exactly to the whole run (seed %d)", (seed) => {
    const { tally, intervals } = recordedRun(seed);
    expect(intervals).toHaveLength(10);
    expect(total(intervals, (i) => i.sent)).toBe(tally.sent);
    expect(total(intervals, (i) => i.requests)).toBe(tally.requests);
    expect(total(intervals, (i) => i.ok)).toBe(tally.ok);
    expect(total(intervals, (i) => i.dropped)).toBe(tally.dropped);
    expect(tally.retried).toBeGreaterThan(0);
    expect(total(intervals, (i) => i.retried!)).toBe(tally.retried);
    expect(total(intervals, (i) => i.errors.timeout)).toBe(tally.errors.timeout);
    expect(total(intervals, (i) => i.errors.status_5xx)).toBe(tally.errors.status_5xx);
    expect(total(intervals, (i) => i.statuses["503"] ?? 0)).toBe(tally.statusCounts()["503"]!);
    // Histograms: the sum of the intervals is the whole, bucket for bucket, min and max included.
    expect(sumOf(intervals.map((i) => i.histogram))).toBe(encodeHistogram(tally.latency.histogram));
    expect(sumOf(intervals.map((i) => i.serviceHistogram!))).toBe(encodeHistogram(tally.service.histogram));
    expect(sumOf(intervals.map((i) => i.lagHistogram!))).toBe(encodeHistogram(tally.lag.histogram));
    expect(decodeHistogram(intervals[3]!.histogram).totalCount).toBe(intervals[3]!.ok + intervals[3]!.errors.status_5xx);
  });

  test("intervals tile the run: each starts where the previous ended", () => {
    const { intervals } = recordedRun(4);
    expect(intervals[0]!.startS).toBe(0);
    for (let k = 1; k < intervals.length; k++) {
      expect(intervals[k]!.startS).toBeCloseTo(intervals[k - 1]!.startS + intervals[k - 1]!.durationS, 9);
      expect(intervals[k]!.durationS).toBeGreaterThan(0.99);
      expect(intervals[k]!.durationS).toBeLessThan(1.01);
    }
  });

  test("each interval has its own extremes and rate", () => {
    const tally = new Tally(0);
    const cutter = new IntervalCutter(tally);
    cutter.start(0);
    tally.onResponse(200, 0, 0, 1_000);
    tally.onResponse(200, 0, 0, 250_000);
    const first = cutter.cut(500_000);
    tally.onResponse(200, 600_000, 600_000, 600_100);
    const second = cutter.cut(1_000_000);
    const third = cutter.cut(1_500_000);
    expect(first.latencyMs.max).toBeCloseTo(250, 0);
    expect(second.latencyMs.max).toBeCloseTo(0.1, 3);
    expect(second.latencyMs.min).toBeCloseTo(0.1, 3);
    expect(first.achievedRps).toBe(4);
    expect(second.achievedRps).toBe(2);
    expect(third.requests).toBe(0);
    expect(decodeHistogram(third.histogram).totalCount).toBe(0);
    // A closed loop's tally records no service time or lag: its intervals carry none.
    expect(first.serviceHistogram).toBeUndefined();
    expect(first.lagHistogram).toBeUndefined();
    expect(tally.latency.histogram.totalCount).toBe(3);
  });
});

describe("mergeTimelines", () => {
  test("threads' intervals are added index by index, counts and histograms exactly", () => {
    const a = recordedRun(5);
    const b = recordedRun(6);
    const merged = mergeTimelines([
      { startedAtMs: 1_000_000, intervals: a.intervals },
      { startedAtMs: 1_000_003, intervals: b.intervals },
    ]);
    expect(merged.startedAtMs).toBe(1_000_000);
    expect(merged.intervals).toHaveLength(10);
    for (let k = 0; k < 10; k++) {
      const [x, y, m] = [a.intervals[k]!, b.intervals[k]!, merged.intervals[k]!];
      expect(m.requests).toBe(x.requests + y.requests);
      expect(m.achievedRps).toBeCloseTo(x.achievedRps + y.achievedRps, 9);
      expect(m.histogram).toBe(sumOf([x.histogram, y.histogram]));
      expect(m.lagHistogram).toBe(sumOf([x.lagHistogram!, y.lagHistogram!]));
      // The merged interval spans its members: from the earliest start to the latest end.
      expect(m.startS).toBeCloseTo(Math.min(x.startS, y.startS + 0.003), 9);
    }
    expect(sumOf(merged.intervals.map((i) => i.histogram))).toBe(sumOf([encodeHistogram(a.tally.latency.histogram), encodeHistogram(b.tally.latency.histogram)]));
  });

  test("a generator that started intervals later is placed by its start", () => {
    const a = recordedRun(7);
    const b = recordedRun(8);
    const merged = mergeTimelines([
      { startedAtMs: 0, intervals: a.intervals },
      { startedAtMs: 2_000, intervals: b.intervals.slice(0, 3) },
    ], true);
    expect(merged.intervals).toHaveLength(10);
    expect(merged.intervals[1]!.requests).toBe(a.intervals[1]!.requests);
    expect(merged.intervals[2]!.requests).toBe(a.intervals[2]!.requests + b.intervals[0]!.requests);
    expect(merged.intervals[4]!.requests).toBe(a.intervals[4]!.requests + b.intervals[2]!.requests);
    expect(merged.intervals[5]!.requests).toBe(a.intervals[5]!.requests);
  });

  test("service time is merged only when every member has it", () => {
    const open = recordedRun(9).intervals[0]!;
    const { serviceHistogram: _, ...closedLike } = open;
    const merged = mergeTimelines([
      { startedAtMs: 0, intervals: [open] },
      { startedAtMs: 0, intervals: [closedLike] },
    ]);
    expect(merged.intervals[0]!.serviceHistogram).toBeUndefined();
    expect(merged.intervals[0]!.requests).toBe(2 * open.requests);
  });
});

describe("merging documents with intervals", () => {
  /** A generator's document: one open run whose intervals are a recorded run's, started at `startMs`. */
  function generator(seed: number, startMs: number): NamedDocument {
    const { intervals } = recordedRun(seed);
    const document = openDocument();
    document.runs = [{ ...document.runs[0]!, startedAt: new Date(startMs).toISOString(), intervals }];
    document.startedAt = new Date(startMs).toISOString();
    return { name: `gen-${seed}.json`, document };
  }

  test("generators started together: their intervals added index by index", () => {
    const a = generator(11, 1_000_000);
    const b = generator(12, 1_000_004);
    const outcome = mergeDocuments([a, b]);
    if (!outcome.ok) throw new Error(outcome.problem);
    const [run] = outcome.document.runs;
    expect(run!.startedAt).toBe(new Date(1_000_000).toISOString());
    expect(run!.intervals).toHaveLength(10);
    const [x, y] = [a.document.runs[0]!.intervals!, b.document.runs[0]!.intervals!];
    run!.intervals!.forEach((interval, k) => {
      expect(interval.requests).toBe(x[k]!.requests + y[k]!.requests);
      expect(interval.histogram).toBe(sumOf([x[k]!.histogram, y[k]!.histogram]));
    });
  });

  test("a generator that started two intervals later lands two intervals later", () => {
    const a = generator(13, 1_000_000);
    const b = generator(14, 1_002_000);
    const outcome = mergeDocuments([a, b]);
    if (!outcome.ok) throw new Error(outcome.problem);
    const merged = outcome.document.runs[0]!.intervals!;
    const [x, y] = [a.document.runs[0]!.intervals!, b.document.runs[0]!.intervals!];
    expect(merged).toHaveLength(12);
    expect(merged[1]!.requests).toBe(x[1]!.requests);
    expect(merged[2]!.requests).toBe(x[2]!.requests + y[0]!.requests);
    expect(merged[11]!.requests).toBe(y[9]!.requests);
    expect(merged[11]!.startS).toBeCloseTo(2 + y[9]!.startS, 6);
  });
});

describe("intervalLatencyMs", () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])("the summaries' numbers exactly, in one pass (seed %d)", (seed) => {
    const random = seededRandom(seed);
    const recorder = new LatencyRecorder();
    const count = [0, 1, 2, 7, 1000, 5000, 20_000, 3][seed - 1]!;
    for (let i = 0; i < count; i++) recorder.record(seed % 2 === 0 ? logUniformUs(random, 1, 3_600_000_000) : logUniformUs(random, 50, 50_000));
    expect(intervalLatencyMs(recorder.histogram)).toEqual(latencyMs(recorder.histogram));
  });
});
