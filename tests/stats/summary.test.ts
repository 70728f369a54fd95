import { describe, expect, test } from "bun:test";
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import { ERROR_KINDS, type ErrorCounts, type LatencyMs, type Phase, type RunResult } from "../../src/stats/result.ts";
import {
  addErrors,
  latencyMs,
  median,
  spread,
  summarizeRepeats,
  totalErrors,
  zeroErrors,
} from "../../src/stats/summary.ts";

const ZERO_LATENCY: LatencyMs = { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

function recorderOf(valuesUs: readonly number[]): LatencyRecorder {
  const recorder = new LatencyRecorder();
  for (const valueUs of valuesUs) recorder.record(valueUs);
  return recorder;
}

describe("latencyMs", () => {
  test("an empty histogram is all zeros", () => {
    expect(latencyMs(new LatencyRecorder().histogram)).toEqual(ZERO_LATENCY);
  });

  test("1..1000 µs once each: percentiles in ms", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(latencyMs(recorderOf(values).histogram)).toEqual({
      min: 0.001,
      mean: 0.5005,
      p50: 0.5,
      p90: 0.9,
      p99: 0.99,
      p999: 0.999,
      max: 1,
    });
  });

  test("a single value is every percentile", () => {
    expect(latencyMs(recorderOf([1500]).histogram)).toEqual({ min: 1.5, mean: 1.5, p50: 1.5, p90: 1.5, p99: 1.5, p999: 1.5, max: 1.5 });
  });

  test("a recorded zero is the minimum (not skipped as 'no value')", () => {
    expect(latencyMs(recorderOf([0, 10, 20]).histogram).min).toBe(0);
  });

  test("the tail is seen: one slow request in 1000 shows in p999 and max, not p99", () => {
    const values = [...Array.from({ length: 999 }, () => 100), 1_000_000];
    const latency = latencyMs(recorderOf(values).histogram);
    expect(latency.p99).toBe(0.1);
    expect(latency.p999).toBe(0.1);
    expect(latency.max).toBeCloseTo(1000, 0);
    expect(latency.mean).toBeCloseTo((999 * 100 + 1_000_000) / 1000 / 1000, 2);
  });
});

describe("median", () => {
  test.each<[string, number[], number]>([
    ["one value", [5], 5],
    ["odd count, unsorted", [3, 1, 2], 2],
    ["even count: mean of the middle two", [4, 1, 3, 2], 2.5],
    ["duplicates", [7, 7, 1], 7],
    ["negatives and fractions", [-1.5, 0.25, -3], -1.5],
    ["numeric, not lexicographic, order", [10, 9, 100], 10],
  ])("%s", (_name, values, expected) => {
    expect(median(values)).toBe(expected);
  });

  test("no values: NaN", () => {
    expect(median([])).toBeNaN();
  });

  test("the input is not reordered", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("spread", () => {
  test.each<[string, number[], { min: number; max: number }]>([
    ["one value", [5], { min: 5, max: 5 }],
    ["unsorted", [3, 9, 1, 4], { min: 1, max: 9 }],
    ["all equal", [2, 2, 2], { min: 2, max: 2 }],
    ["negatives", [-1, -10, 4], { min: -10, max: 4 }],
  ])("%s", (_name, values, expected) => {
    expect(spread(values)).toEqual(expected);
  });

  test("no values: NaN bounds", () => {
    const { min, max } = spread([]);
    expect(min).toBeNaN();
    expect(max).toBeNaN();
  });
});

describe("error counts", () => {
  test("zeroErrors has every kind at zero, and a fresh object each time", () => {
    const errors = zeroErrors();
    expect(Object.keys(errors).sort()).toEqual([...ERROR_KINDS].sort());
    expect(Object.values(errors).every((count) => count === 0)).toBe(true);
    errors.reset = 5;
    expect(zeroErrors().reset).toBe(0);
  });

  test("addErrors adds kind by kind without touching its arguments", () => {
    const a: ErrorCounts = { ...zeroErrors(), connect: 1, timeout: 2, status_5xx: 3 };
    const b: ErrorCounts = { ...zeroErrors(), timeout: 10, tls: 4, status_5xx: 1 };
    expect(addErrors(a, b)).toEqual({ connect: 1, reset: 0, timeout: 12, parse: 0, closed: 0, tls: 4, status_4xx: 0, status_5xx: 4, check: 0 });
    expect(a.timeout).toBe(2);
    expect(b.timeout).toBe(10);
  });

  test.each<[string, Partial<ErrorCounts>, number]>([
    ["none", {}, 0],
    ["one kind", { parse: 7 }, 7],
    ["every kind, status classes included", { connect: 1, reset: 2, timeout: 3, parse: 4, closed: 5, tls: 6, status_4xx: 7, status_5xx: 8 }, 36],
  ])("totalErrors: %s", (_name, counts, expected) => {
    expect(totalErrors({ ...zeroErrors(), ...counts })).toBe(expected);
  });
});

interface RunSpec {
  phase?: Phase;
  concurrency: number;
  targetRps?: number | null;
  repeat?: number;
  throughputRps: number;
  achievedRps?: number | null;
  valuesUs: number[];
  serviceTimeMs?: LatencyMs | null;
  errors?: Partial<ErrorCounts>;
  statuses?: Record<string, number>;
  dropped?: number;
}

/** A run as the engine would report it: latency fields computed from its own histogram. */
function run(spec: RunSpec): RunResult {
  const histogram = recorderOf(spec.valuesUs).histogram;
  const errors = { ...zeroErrors(), ...spec.errors };
  const ok = spec.valuesUs.length;
  return {
    phase: spec.phase ?? "sweep",
    concurrency: spec.concurrency,
    targetRps: spec.targetRps ?? null,
    repeat: spec.repeat ?? 1,
    durationS: 1,
    sent: ok + totalErrors(errors),
    requests: ok + totalErrors(errors),
    ok,
    dropped: spec.dropped ?? 0,
    errors,
    statuses: spec.statuses ?? { "200": ok },
    throughputRps: spec.throughputRps,
    achievedRps: spec.achievedRps ?? null,
    latencyMs: latencyMs(histogram),
    serviceTimeMs: spec.serviceTimeMs ?? null,
    histogram: encodeHistogram(histogram),
  };
}

describe("summarizeRepeats", () => {
  test("no runs: no groups", () => {
    expect(summarizeRepeats([])).toEqual([]);
  });

  test("groups by phase, concurrency and target rate, in order of first appearance", () => {
    const runs = [
      run({ phase: "sweep", concurrency: 10, throughputRps: 1, valuesUs: [1] }),
      run({ phase: "sweep", concurrency: 1, throughputRps: 1, valuesUs: [1] }),
      run({ phase: "sweep", concurrency: 10, repeat: 2, throughputRps: 1, valuesUs: [1] }),
      run({ phase: "closed", concurrency: 10, throughputRps: 1, valuesUs: [1] }),
      run({ phase: "open", concurrency: 10, targetRps: 500, throughputRps: 1, achievedRps: 1, valuesUs: [1] }),
      run({ phase: "open", concurrency: 10, targetRps: 900, throughputRps: 1, achievedRps: 1, valuesUs: [1] }),
      run({ phase: "open", concurrency: 10, targetRps: 500, repeat: 2, throughputRps: 1, achievedRps: 1, valuesUs: [1] }),
    ];
    const keys = summarizeRepeats(runs).map((g) => [g.phase, g.concurrency, g.targetRps, g.repeats]);
    expect(keys).toEqual([
      ["sweep", 10, null, 2],
      ["sweep", 1, null, 1],
      ["closed", 10, null, 1],
      ["open", 10, 500, 2],
      ["open", 10, 900, 1],
    ]);
  });

  test.each<[string, number[], number, { min: number; max: number }]>([
    ["one repeat", [1234], 1234, { min: 1234, max: 1234 }],
    ["three repeats", [300, 100, 200], 200, { min: 100, max: 300 }],
    ["two repeats: mean of both", [100, 200], 150, { min: 100, max: 200 }],
    ["an outlier repeat does not move the median", [1000, 1010, 10], 1000, { min: 10, max: 1010 }],
  ])("throughput median and spread: %s", (_name, throughputs, expectedMedian, expectedSpread) => {
    const runs = throughputs.map((throughputRps, i) => run({ concurrency: 5, repeat: i + 1, throughputRps, valuesUs: [100] }));
    const [group] = summarizeRepeats(runs);
    expect(group!.throughputRps).toBe(expectedMedian);
    expect(group!.throughputRpsSpread).toEqual(expectedSpread);
    expect(group!.achievedRps).toBeNull();
    expect(group!.achievedRpsSpread).toBeNull();
  });

  test("latency: each percentile's median across repeats, with its spread", () => {
    // Three repeats whose p99 are 1, 3 and 2 ms (100 requests each, one slow request per run).
    const repeatOf = (slowUs: number, repeat: number) =>
      run({ concurrency: 20, repeat, throughputRps: 100, valuesUs: [...Array.from({ length: 98 }, () => 500), slowUs, slowUs] });
    const [group] = summarizeRepeats([repeatOf(1000, 1), repeatOf(3000, 2), repeatOf(2000, 3)]);
    expect(group!.latencyMs.p50).toBe(0.5);
    expect(group!.latencyMs.p99).toBe(2);
    expect(group!.latencyMsSpread.p99).toEqual({ min: 1, max: 3.001 });
    expect(group!.latencyMsSpread.p50).toEqual({ min: 0.5, max: 0.5 });
    expect(group!.latencyMs.max).toBe(2);
  });

  test("open loop: achieved rate and service time medians", () => {
    const service = (p99: number): LatencyMs => ({ ...ZERO_LATENCY, p99 });
    const runs = [
      run({ phase: "open", concurrency: 800, targetRps: 1000, repeat: 1, throughputRps: 990, achievedRps: 995, serviceTimeMs: service(4), valuesUs: [900] }),
      run({ phase: "open", concurrency: 800, targetRps: 1000, repeat: 2, throughputRps: 980, achievedRps: 999, serviceTimeMs: service(6), valuesUs: [1100] }),
      run({ phase: "open", concurrency: 800, targetRps: 1000, repeat: 3, throughputRps: 970, achievedRps: 990, serviceTimeMs: service(5), valuesUs: [1000] }),
    ];
    const [group] = summarizeRepeats(runs);
    expect(group!.achievedRps).toBe(995);
    expect(group!.achievedRpsSpread).toEqual({ min: 990, max: 999 });
    expect(group!.serviceTimeMs?.p99).toBe(5);
    expect(group!.latencyMs.p50).toBe(1);
  });

  test("service time is null unless every repeat has one", () => {
    const runs = [
      run({ phase: "open", concurrency: 8, targetRps: 10, throughputRps: 10, achievedRps: 10, serviceTimeMs: ZERO_LATENCY, valuesUs: [1] }),
      run({ phase: "open", concurrency: 8, targetRps: 10, throughputRps: 10, achievedRps: 10, serviceTimeMs: null, valuesUs: [1] }),
    ];
    expect(summarizeRepeats(runs)[0]!.serviceTimeMs).toBeNull();
  });

  test("counts, errors and statuses are summed over the repeats", () => {
    const runs = [
      run({ concurrency: 2, throughputRps: 1, valuesUs: [1, 2, 3], errors: { timeout: 1, status_5xx: 2 }, statuses: { "200": 3, "503": 2 }, dropped: 4 }),
      run({ concurrency: 2, throughputRps: 1, valuesUs: [4, 5], errors: { timeout: 2, connect: 1 }, statuses: { "200": 2 }, dropped: 1 }),
    ];
    const [group] = summarizeRepeats(runs);
    expect(group!.ok).toBe(5);
    expect(group!.requests).toBe(5 + 3 + 3);
    expect(group!.dropped).toBe(5);
    expect(group!.errors).toEqual({ ...zeroErrors(), timeout: 3, status_5xx: 2, connect: 1 });
    expect(group!.statuses).toEqual({ "200": 5, "503": 2 });
  });

  test("parse errors by reason and retried requests are summed over the repeats; older runs have none", () => {
    const runs = [
      { ...run({ concurrency: 3, throughputRps: 1, valuesUs: [1], errors: { parse: 3 } }), parseErrors: { "bad status line": 2, "bad chunk size": 1 }, retried: 4 },
      { ...run({ concurrency: 3, throughputRps: 1, valuesUs: [1], errors: { parse: 1 } }), parseErrors: { "bad status line": 1 }, retried: 1 },
      run({ concurrency: 3, throughputRps: 1, valuesUs: [1] }),
    ];
    const [group] = summarizeRepeats(runs);
    expect(group!.parseErrors).toEqual({ "bad status line": 3, "bad chunk size": 1 });
    expect(group!.retried).toBe(5);
  });

  test("the merged histogram is exactly all repeats' requests together", () => {
    const repeatValues = [
      [100, 200, 300, 40_000],
      [150, 250, 5_000_000],
      [90, 95, 99, 101, 2047, 2048, 2049],
    ];
    const runs = repeatValues.map((valuesUs, i) => run({ concurrency: 50, repeat: i + 1, throughputRps: 1, valuesUs }));
    const all = recorderOf(repeatValues.flat()).histogram;
    const [group] = summarizeRepeats(runs);
    expect(group!.merged.histogram).toBe(encodeHistogram(all));
    expect(group!.merged.latencyMs).toEqual(latencyMs(all));
    // The merged max is the slowest request of any repeat, unlike the median of maxima.
    expect(group!.merged.latencyMs.max).toBeGreaterThan(group!.latencyMs.max);
  });
});
