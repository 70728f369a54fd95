import { describe, expect, test } from "bun:test";
import { decodeHistogram, encodeHistogram, HIGHEST_TRACKABLE_US, LatencyRecorder } from "../../src/stats/histogram.ts";
import { countsLatencyMs, encodedMaxUs, encodeCounts } from "../../src/stats/interval-counts.ts";
import { intervalLatencyMs } from "../../src/stats/intervals.ts";
import { logUniformUs, seededRandom } from "../support/random.ts";

/** Cuts a recorder after each batch: each cut's counts beside a histogram of the same values built the library's way. */
function cuts(batches: readonly (readonly number[])[]) {
  const recorder = new LatencyRecorder();
  return batches.map((valuesUs) => {
    const reference = new LatencyRecorder();
    for (const us of valuesUs) {
      recorder.record(us);
      reference.record(us);
    }
    const counts = recorder.cut();
    return { counts: { ...counts, counts: counts.counts.slice() }, histogram: reference.histogram };
  });
}

const randomBatch = (seed: number, size: number, highUs: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: size }, () => logUniformUs(random, 1, highUs));
};

describe("an interval read straight from its counts", () => {
  const batches = [
    randomBatch(1, 5000, 60_000_000),
    randomBatch(2, 300, 2000),
    [],
    [0, 0, 0],
    [7],
    randomBatch(3, 20_000, HIGHEST_TRACKABLE_US),
    [1000, 1000, 1001, 250_000],
  ];

  test("encodes to the same bytes as hdr-histogram-js encodes a histogram of the same values", () => {
    for (const { counts, histogram } of cuts(batches)) expect(encodeCounts(counts)).toBe(encodeHistogram(histogram));
  });

  test("has the same latency summary as the histogram", () => {
    for (const { counts, histogram } of cuts(batches)) expect(countsLatencyMs(counts)).toEqual(intervalLatencyMs(histogram));
  });

  test("an encoding's max is the decoded histogram's max", () => {
    for (const { histogram } of cuts(batches)) {
      const encoded = encodeHistogram(histogram);
      expect(encodedMaxUs(encoded)).toBe(decodeHistogram(encoded).maxValue);
    }
  });

  test("a cut leaves nothing behind: the next interval holds only what came after it", () => {
    const recorder = new LatencyRecorder();
    recorder.record(50_000);
    recorder.cut();
    recorder.record(10);
    const second = recorder.cut();
    expect([second.total, second.length]).toEqual([1, 11]);
    expect(countsLatencyMs(second).max).toBe(0.01);
    expect(recorder.histogram.totalCount).toBe(2);
  });
});
