import { describe, expect, test } from "bun:test";
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  hgrm,
  HIGHEST_TRACKABLE_US,
  LatencyRecorder,
  mergeHistograms,
  type Histogram,
} from "../../src/stats/histogram.ts";
import { latencyMs } from "../../src/stats/summary.ts";
import { logUniformUs, seededRandom } from "../support/random.ts";

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function recorderOf(valuesUs: readonly number[]): LatencyRecorder {
  const recorder = new LatencyRecorder();
  for (const valueUs of valuesUs) recorder.record(valueUs);
  return recorder;
}

/** The value HdrHistogram's percentile definition points at: the ceil(p·n)-th smallest. */
function exactPercentile(sortedUs: readonly number[], percentile: number): number {
  // The tiny subtraction keeps 99.9% of 5000 (= 4995.000000000001 in floats) at rank 4995.
  const rank = Math.max(1, Math.ceil((percentile / 100) * sortedUs.length - 1e-9));
  return sortedUs[rank - 1]!;
}

function relativeError(measured: number, exact: number): number {
  return exact === 0 ? Math.abs(measured) : Math.abs(measured - exact) / exact;
}

/** Every percentile and every piece of state a reader can see. */
function fingerprint(histogram: Histogram) {
  return {
    totalCount: histogram.totalCount,
    percentilesUs: PERCENTILES.map((percentile) => histogram.getValueAtPercentile(percentile)),
    encoded: encodeHistogram(histogram),
    latency: latencyMs(histogram),
  };
}

const DISTRIBUTIONS: [string, (random: () => number) => number][] = [
  ["small exact values 0–2000 µs", (random) => Math.floor(random() * 2001)],
  ["log-uniform 1 µs – 1 h", (random) => logUniformUs(random, 1, HIGHEST_TRACKABLE_US)],
  ["typical loopback 50 µs – 20 ms", (random) => logUniformUs(random, 50, 20_000)],
  ["fractional values around 1 ms", (random) => 800 + random() * 400],
  ["bimodal: fast path plus 1 s stalls", (random) => (random() < 0.99 ? 100 + random() * 50 : 1_000_000 + random() * 1000)],
];
const SEEDS = [1, 2, 3, 42, 2024];

describe("accuracy: recorded percentiles stay within 0.1% of the exact ones", () => {
  for (const [name, draw] of DISTRIBUTIONS) {
    test.each(SEEDS)(`${name}, seed %d`, (seed) => {
      const random = seededRandom(seed);
      const count = 1 + Math.floor(random() * 5000);
      const valuesUs = Array.from({ length: count }, () => draw(random));
      const recorder = recorderOf(valuesUs);
      // The recorder floors, so the exact reference is computed on floored values.
      const sortedUs = valuesUs.map(Math.floor).sort((a, b) => a - b);

      expect(recorder.histogram.totalCount).toBe(count);
      expect(recorder.outOfRangeCount).toBe(0);
      for (const percentile of PERCENTILES) {
        const recordedUs = recorder.histogram.getValueAtPercentile(percentile);
        const exactUs = exactPercentile(sortedUs, percentile);
        expect({ percentile, error: relativeError(recordedUs, exactUs) <= 0.001 }).toEqual({ percentile, error: true });
      }

      const latency = latencyMs(recorder.histogram);
      const exactMs = (percentile: number) => exactPercentile(sortedUs, percentile) / 1000;
      const exactMeanMs = sortedUs.reduce((total, value) => total + value, 0) / count / 1000;
      expect(relativeError(latency.min, sortedUs[0]! / 1000)).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.p50, exactMs(50))).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.p90, exactMs(90))).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.p99, exactMs(99))).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.p999, exactMs(99.9))).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.max, sortedUs[count - 1]! / 1000)).toBeLessThanOrEqual(0.001);
      expect(relativeError(latency.mean, exactMeanMs)).toBeLessThanOrEqual(0.001);
    });
  }

  test("values below 2048 µs are recorded exactly", () => {
    const recorder = recorderOf([1, 2, 3, 1000, 2047]);
    expect([0, 20, 40, 60, 80, 100].map((p) => recorder.histogram.getValueAtPercentile(p))).toEqual([1, 1, 2, 3, 1000, 2047]);
  });
});

/** What HdrHistogram itself makes of the values, recorded one by one with its own recordValue. */
function referenceOf(valuesUs: readonly number[]): Histogram {
  const histogram = createLatencyHistogram();
  for (const valueUs of valuesUs) histogram.recordValue(Math.floor(valueUs));
  return histogram;
}

/** Bucket edges, where an off-by-one in the bucket arithmetic would show. */
const EDGES_US = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, HIGHEST_TRACKABLE_US - 1, HIGHEST_TRACKABLE_US];
for (let bits = 12; bits <= 31; bits++) EDGES_US.push(2 ** bits - 1, 2 ** bits, 2 ** bits + 1);

describe("the recorder's histogram is exactly what HdrHistogram records", () => {
  for (const [name, draw] of DISTRIBUTIONS) {
    test.each(SEEDS)(`${name}, seed %d`, (seed) => {
      const random = seededRandom(seed);
      const valuesUs = Array.from({ length: 1 + Math.floor(random() * 5000) }, () => draw(random));
      const recorded = recorderOf(valuesUs).histogram;
      const reference = referenceOf(valuesUs);
      expect(fingerprint(recorded)).toEqual(fingerprint(reference));
      expect(hgrm(recorded)).toBe(hgrm(reference));
      expect([recorded.minNonZeroValue, recorded.maxValue]).toEqual([reference.minNonZeroValue, reference.maxValue]);
    });
  }

  test("at every bucket edge, one value at a time and all together", () => {
    for (const valueUs of EDGES_US) {
      const recorded = recorderOf([valueUs]).histogram;
      const reference = referenceOf([valueUs]);
      expect({ valueUs, encoded: encodeHistogram(recorded), max: recorded.maxValue, min: recorded.minNonZeroValue }).toEqual({
        valueUs,
        encoded: encodeHistogram(reference),
        max: reference.maxValue,
        min: reference.minNonZeroValue,
      });
    }
    expect(hgrm(recorderOf(EDGES_US).histogram)).toBe(hgrm(referenceOf(EDGES_US)));
  });

  test("the smallest and largest value sharing a sub-bucket, and only zeros, keep min and max exact", () => {
    for (const valuesUs of [[1_000_000, 1_000_100, 1_000_200], [5000, 5001], [0, 0, 0], [0, 3_000_000_001], [0, 5001, 9000]]) {
      const recorded = recorderOf(valuesUs).histogram;
      const reference = referenceOf(valuesUs);
      expect([recorded.minNonZeroValue, recorded.maxValue, hgrm(recorded)]).toEqual([reference.minNonZeroValue, reference.maxValue, hgrm(reference)]);
    }
  });

  test("values recorded after the histogram was read are added to it", () => {
    const random = seededRandom(11);
    const valuesUs = Array.from({ length: 6000 }, () => logUniformUs(random, 1, 60_000_000));
    const recorder = new LatencyRecorder();
    for (const [i, valueUs] of valuesUs.entries()) {
      recorder.record(valueUs);
      if (i % 1000 === 0) expect(recorder.histogram.totalCount).toBe(i + 1);
    }
    expect(fingerprint(recorder.histogram)).toEqual(fingerprint(referenceOf(valuesUs)));
    expect(hgrm(recorder.histogram)).toBe(hgrm(referenceOf(valuesUs)));
  });
});

describe("merge is exact", () => {
  test.each(SEEDS)("merging the histograms of a random split equals recording everything in one, seed %d", (seed) => {
    const random = seededRandom(seed);
    const valuesUs = Array.from({ length: 20_000 }, () => logUniformUs(random, 20, 5_000_000));
    const partCount = 2 + Math.floor(random() * 6);
    const parts: number[][] = Array.from({ length: partCount }, () => []);
    for (const valueUs of valuesUs) parts[Math.floor(random() * partCount)]!.push(valueUs);

    const whole = recorderOf(valuesUs).histogram;
    const partHistograms = parts.map((part) => recorderOf(part).histogram);
    const merged = mergeHistograms(partHistograms);

    expect(fingerprint(merged)).toEqual(fingerprint(whole));
    expect(hgrm(merged)).toBe(hgrm(whole));
    // The inputs are not modified.
    expect(partHistograms.map((h) => h.totalCount)).toEqual(parts.map((part) => part.length));
  });

  test("merging encoded histograms (how threads and machines hand them over) is exact too", () => {
    const random = seededRandom(7);
    const a = Array.from({ length: 3000 }, () => logUniformUs(random, 1, 60_000_000));
    const b = Array.from({ length: 5000 }, () => logUniformUs(random, 1, 60_000_000));
    const merged = mergeHistograms([a, b].map((values) => decodeHistogram(encodeHistogram(recorderOf(values).histogram))));
    expect(fingerprint(merged)).toEqual(fingerprint(recorderOf([...a, ...b]).histogram));
  });

  test("merging one histogram copies it; merging none gives an empty histogram", () => {
    const single = recorderOf([5, 50, 500, 5000]).histogram;
    expect(fingerprint(mergeHistograms([single]))).toEqual(fingerprint(single));
    expect(fingerprint(mergeHistograms([]))).toEqual(fingerprint(new LatencyRecorder().histogram));
  });

  test("counts add up past the 16-bit range without overflowing", () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 70_000; i++) recorder.record(1000);
    const merged = mergeHistograms([recorder.histogram, recorder.histogram]);
    expect(merged.totalCount).toBe(140_000);
    expect(merged.getValueAtPercentile(99.9)).toBe(1000);
  });
});

describe("encode / decode", () => {
  test.each(SEEDS)("round trip keeps every count, seed %d", (seed) => {
    const random = seededRandom(seed);
    const histogram = recorderOf(Array.from({ length: 4000 }, () => logUniformUs(random, 1, HIGHEST_TRACKABLE_US))).histogram;
    const encoded = encodeHistogram(histogram);
    const decoded = decodeHistogram(encoded);
    expect(fingerprint(decoded)).toEqual(fingerprint(histogram));
    expect(encodeHistogram(decoded)).toBe(encoded);
  });

  test("an empty histogram round-trips and reads as all zeros", () => {
    const decoded = decodeHistogram(encodeHistogram(createLatencyHistogram()));
    expect(decoded.totalCount).toBe(0);
    expect(latencyMs(decoded)).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });

  test("the encoding is HdrHistogram's compressed V2 base64", () => {
    const encoded = encodeHistogram(recorderOf([1, 2, 3]).histogram);
    // "HISTF" is the base64 of the V2 compressed cookie 0x1c849314 that every HdrHistogram port reads.
    expect(encoded.startsWith("HISTF")).toBe(true);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  test("text that is not an encoded histogram throws", () => {
    expect(() => decodeHistogram("bm90IGEgaGlzdG9ncmFt")).toThrow();
  });
});

describe("out-of-range values are clamped and counted, never thrown", () => {
  test.each([
    ["negative", -1, 0],
    ["small negative fraction (floors to -1)", -0.5, 0],
    ["NaN", Number.NaN, 0],
    ["minus infinity", Number.NEGATIVE_INFINITY, 0],
    ["one past an hour", HIGHEST_TRACKABLE_US + 1, HIGHEST_TRACKABLE_US],
    ["a day", 86_400_000_000, HIGHEST_TRACKABLE_US],
    ["infinity", Number.POSITIVE_INFINITY, HIGHEST_TRACKABLE_US],
  ])("%s", (_name, latencyUs, clampedUs) => {
    const recorder = new LatencyRecorder();
    recorder.record(latencyUs);
    expect(recorder.outOfRangeCount).toBe(1);
    expect(recorder.histogram.totalCount).toBe(1);
    const expected = createLatencyHistogram();
    expected.recordValue(clampedUs);
    expect(encodeHistogram(recorder.histogram)).toBe(encodeHistogram(expected));
  });

  test("the range edges and fractions are in range and floored", () => {
    const recorder = recorderOf([0, 0.9, 2.99, HIGHEST_TRACKABLE_US, HIGHEST_TRACKABLE_US + 0.5]);
    expect(recorder.outOfRangeCount).toBe(0);
    expect(recorder.histogram.totalCount).toBe(5);
    expect(recorder.histogram.getValueAtPercentile(40)).toBe(0);
    expect(recorder.histogram.getValueAtPercentile(60)).toBe(2);
    const expected = createLatencyHistogram();
    for (const valueUs of [0, 0, 2, HIGHEST_TRACKABLE_US, HIGHEST_TRACKABLE_US]) expected.recordValue(valueUs);
    // The footer's Max is the exact recorded maximum: it shows an unfloored 2.99 µs.
    expect(hgrm(recorder.histogram)).toBe(hgrm(expected));
  });

  test("counts accumulate across many bad values among good ones", () => {
    const recorder = recorderOf([100, -5, 200, Number.NaN, 1e15, 300]);
    expect(recorder.outOfRangeCount).toBe(3);
    expect(recorder.histogram.totalCount).toBe(6);
  });
});

describe("hgrm", () => {
  test("golden: the standard HdrHistogram percentile distribution, in milliseconds", () => {
    const recorder = recorderOf([1000, 2000, 3000, 4000]);
    expect(hgrm(recorder.histogram)).toBe(
      [
        "       Value     Percentile TotalCount 1/(1-Percentile)",
        "",
        // Ticks: 10% steps up to 50%, 5% steps to 75%, 2.5% steps beyond, then 100% at the last
        // value. Values are the top of each value's bucket: 3000 µs and 4000 µs sit in 2 µs buckets.
        "       1.000 0.000000000000          1           1.00",
        "       1.000 0.100000000000          1           1.11",
        "       1.000 0.200000000000          1           1.25",
        "       2.000 0.300000000000          2           1.43",
        "       2.000 0.400000000000          2           1.67",
        "       2.000 0.500000000000          2           2.00",
        "       3.001 0.550000000000          3           2.22",
        "       3.001 0.600000000000          3           2.50",
        "       3.001 0.650000000000          3           2.86",
        "       3.001 0.700000000000          3           3.33",
        "       3.001 0.750000000000          3           4.00",
        "       4.001 0.775000000000          4           4.44",
        "       4.001 1.000000000000          4",
        "#[Mean    =        2.501, StdDeviation   =        1.118]",
        "#[Max     =        4.000, Total count    =            4]",
        "#[Buckets =           22, SubBuckets     =         2048]",
        "",
      ].join("\n"),
    );
  });

  test("structure: header, fixed-width rows that plotters parse, footer", () => {
    const random = seededRandom(11);
    const histogram = recorderOf(Array.from({ length: 10_000 }, () => logUniformUs(random, 30, 900_000))).histogram;
    const lines = hgrm(histogram).split("\n");
    expect(lines[0]).toBe("       Value     Percentile TotalCount 1/(1-Percentile)");
    expect(lines[1]).toBe("");
    expect(lines.at(-1)).toBe("");
    const footer = lines.slice(-4, -1);
    expect(footer[0]).toMatch(/^#\[Mean    = [ \d.]{12}, StdDeviation   = [ \d.]{12}\]$/);
    expect(footer[1]).toMatch(/^#\[Max     = [ \d.]{12}, Total count    = {8}10000\]$/);
    expect(footer[2]).toMatch(/^#\[Buckets = [ \d]{12}, SubBuckets     = [ \d]{12}\]$/);

    const rows = lines.slice(2, -4);
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows.slice(0, -1)) expect(row).toMatch(/^[ \d]{7}\d\.\d{3} 0\.\d{12} [ \d]{10} [ \d]{10}\d\.\d{2}$/);
    expect(rows.at(-1)).toMatch(/^[ \d]{7}\d\.\d{3} 1\.000000000000 {6}10000$/);

    // Values are milliseconds, non-decreasing, and end at the maximum.
    const valuesMs = rows.map((row) => Number(row.trim().split(/\s+/)[0]));
    expect(valuesMs).toEqual([...valuesMs].sort((a, b) => a - b));
    expect(valuesMs.at(-1)).toBeCloseTo(histogram.getValueAtPercentile(100) / 1000, 3);
  });

  test("an empty histogram has the header and footer and no rows", () => {
    expect(hgrm(createLatencyHistogram()).split("\n")).toEqual([
      "       Value     Percentile TotalCount 1/(1-Percentile)",
      "",
      "#[Mean    =        0.000, StdDeviation   =        0.000]",
      "#[Max     =        0.000, Total count    =            0]",
      "#[Buckets =           22, SubBuckets     =         2048]",
      "",
    ]);
  });
});
