import { describe, expect, test } from "bun:test";
import { best, knee, KNEE_FRACTION, sloCapacity, type SweepPoint } from "../../src/stats/knee.ts";

/** [concurrency, median throughput rps, median p99 ms] */
type Row = [number, number, number];

const points = (rows: readonly Row[]): SweepPoint[] =>
  rows.map(([concurrency, throughputRps, p99]) => ({ concurrency, throughputRps, latencyMs: { p99 } }));

const concurrencyOf = (point: SweepPoint | null) => (point === null ? null : point.concurrency);

// A typical closed-loop curve: throughput climbs, flattens, then sags as queues grow.
const TYPICAL: Row[] = [
  [1, 1000, 0.5],
  [2, 1900, 0.6],
  [5, 4000, 0.9],
  [10, 4500, 2.5],
  [20, 4600, 5],
  [50, 4550, 14],
  [100, 4400, 30],
];

test("the knee fraction is 90%", () => {
  expect(KNEE_FRACTION).toBe(0.9);
});

describe("best and knee", () => {
  test.each<[string, Row[], number | null, number | null]>([
    ["empty sweep", [], null, null],
    ["single point", [[8, 1234, 3]], 8, 8],
    ["typical curve: peak at 20, knee at 10 (4500 ≥ 0.9 × 4600)", TYPICAL, 20, 10],
    ["input order does not matter", [...TYPICAL].reverse(), 20, 10],
    ["flat curve: everything ties, the smallest concurrency wins both", [[1, 500, 1], [2, 500, 1], [4, 500, 1]], 1, 1],
    ["tie for best: the smaller concurrency", [[10, 5000, 1], [20, 5000, 2], [5, 4000, 1]], 10, 10],
    ["tie for best listed larger-first", [[20, 5000, 2], [10, 5000, 1], [1, 100, 1]], 10, 10],
    ["exactly 90% of best is enough for the knee", [[5, 900, 1], [10, 1000, 1]], 10, 5],
    ["exactly 90% where the division is inexact in floats (2.7 of 3)", [[1, 2.7, 1], [2, 3, 1]], 2, 1],
    ["just under 90% is not", [[5, 899.99, 1], [10, 1000, 1]], 10, 10],
    ["non-monotonic curve: the knee is the smallest qualifying concurrency, even before a dip", [[1, 950, 1], [2, 500, 1], [5, 1000, 1]], 5, 1],
    ["linear scaling: best and knee at the top", [[1, 100, 1], [2, 200, 1], [4, 400, 1], [8, 800, 1]], 8, 8],
    ["nothing completed anywhere", [[1, 0, 0], [2, 0, 0]], null, null],
    ["zero-throughput points are ignored for best", [[1, 0, 0], [2, 10, 1]], 2, 2],
  ])("%s", (_name, rows, expectedBest, expectedKnee) => {
    expect(concurrencyOf(best(points(rows)))).toBe(expectedBest);
    expect(concurrencyOf(knee(points(rows)))).toBe(expectedKnee);
  });

  test("returns the point itself, so callers keep every field of their summary", () => {
    const sweep = [
      { concurrency: 1, throughputRps: 10, latencyMs: { p99: 1 }, label: "a" },
      { concurrency: 2, throughputRps: 20, latencyMs: { p99: 1 }, label: "b" },
    ];
    expect(best(sweep)?.label).toBe("b");
    expect(knee(sweep)?.label).toBe("b");
  });

  test.each<[number, number]>([
    [0.5, 5],
    [0.99, 20],
    [1, 20],
  ])("an explicit fraction %p moves the knee to %p", (fraction, expected) => {
    expect(concurrencyOf(knee(points(TYPICAL), fraction))).toBe(expected);
  });
});

describe("sloCapacity", () => {
  test.each<[string, Row[], number, number | null]>([
    ["empty sweep", [], 10, null],
    ["single point meeting the SLO", [[8, 1234, 3]], 10, 8],
    ["single point missing the SLO", [[8, 1234, 30]], 10, null],
    ["typical curve, 10 ms: best is 20 (p99 5 ms)", TYPICAL, 10, 20],
    ["typical curve, 1 ms: only the low concurrencies qualify", TYPICAL, 1, 5],
    ["typical curve, generous SLO: the overall best", TYPICAL, 1000, 20],
    ["no point meets the SLO", TYPICAL, 0.1, null],
    ["p99 exactly at the SLO meets it", [[1, 100, 2], [2, 200, 5], [4, 300, 5.0001]], 5, 2],
    ["the highest throughput under the SLO, not the largest concurrency", [[1, 100, 1], [2, 300, 2], [4, 200, 3]], 5, 2],
    ["tie under the SLO: the smaller concurrency", [[4, 300, 2], [2, 300, 3], [8, 250, 1]], 5, 2],
    ["flat curve with rising latency", [[1, 500, 1], [2, 500, 4], [4, 500, 9]], 5, 1],
    ["a point that completed nothing is no capacity", [[1, 0, 0]], 5, null],
  ])("%s", (_name, rows, sloP99Ms, expected) => {
    expect(concurrencyOf(sloCapacity(points(rows), sloP99Ms))).toBe(expected);
  });
});
