import { describe, expect, test } from "bun:test";
import { compareDocuments, compareMetric, gateVerdict, mannWhitneyPValue, regressions, repeatsForVerdict, smallestPValue } from "../../src/stats/compare.ts";
import { seededRandom } from "../support/random.ts";
import { presetDocument, sweepDocument } from "../support/documents.ts";
import { documentOf, runsOf } from "../support/compare-documents.ts";
import { loginDocument } from "../support/targets.ts";

/** Every split of the pooled values, counted by brute force: the definition the fast count must match. */
function bruteForcePValue(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const sorted = [...pooled].sort((x, y) => x - y);
  const midRank = (value: number) => {
    const first = sorted.indexOf(value);
    const last = sorted.lastIndexOf(value);
    return (first + last + 2) / 2;
  };
  const ranks = pooled.map(midRank);
  const expected = (a.length * (pooled.length + 1)) / 2;
  const observed = a.reduce((sum, _, i) => sum + ranks[i]!, 0);
  let extreme = 0;
  let all = 0;
  const choose = (start: number, left: number, sum: number) => {
    if (left === 0) {
      all++;
      if (Math.abs(sum - expected) >= Math.abs(observed - expected) - 1e-9) extreme++;
      return;
    }
    for (let i = start; i <= pooled.length - left; i++) choose(i + 1, left - 1, sum + ranks[i]!);
  };
  choose(0, a.length, 0);
  return extreme / all;
}

describe("mannWhitneyPValue", () => {
  test("complete separation of 5 and 5 is the most extreme of 252 splits, both ways", () => {
    expect(mannWhitneyPValue([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBeCloseTo(2 / 252, 12);
    expect(mannWhitneyPValue([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toBeCloseTo(2 / 252, 12);
  });

  test("3 against 3 can never go below 0.1", () => {
    expect(mannWhitneyPValue([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.1, 12);
    expect(smallestPValue(3, 3)).toBeCloseTo(0.1, 12);
  });

  test("identical samples give 1", () => {
    expect(mannWhitneyPValue([5, 5, 5], [5, 5, 5])).toBe(1);
    expect(mannWhitneyPValue([1, 2, 3], [1, 2, 3])).toBe(1);
  });

  test("equals the brute-force count over every split, ties included (200 seeded cases)", () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 6);
      const m = 1 + Math.floor(random() * 6);
      // Few distinct values: ties are the hard part, and HdrHistogram percentiles tie often.
      const draw = () => Math.floor(random() * 6);
      const a = Array.from({ length: n }, draw);
      const b = Array.from({ length: m }, draw);
      expect(mannWhitneyPValue(a, b)).toBeCloseTo(bruteForcePValue(a, b), 10);
    }
  });

  test("large samples (normal approximation) still tell a shift from none", () => {
    const a = Array.from({ length: 40 }, (_, i) => i);
    expect(mannWhitneyPValue(a, a.map((v) => v + 30))).toBeLessThan(1e-6);
    expect(mannWhitneyPValue(a, a.map((v) => v + 0.5))).toBeGreaterThan(0.5);
  });

  test("smallestPValue is 2 / C(n + m, n)", () => {
    expect(smallestPValue(5, 5)).toBeCloseTo(2 / 252, 12);
    expect(smallestPValue(4, 6)).toBeCloseTo(2 / 210, 12);
    expect(smallestPValue(1, 1)).toBe(1);
    expect(smallestPValue(0, 5)).toBe(1);
  });
});

describe("compareMetric", () => {
  const ALPHA = 0.05 / 6;
  const base = [10.0, 10.1, 10.2, 10.05, 9.95];

  test("latency 30% up beyond the noise: slower", () => {
    const result = compareMetric("p99", base, base.map((v) => v * 1.3), ALPHA, 5);
    expect(result.verdict).toBe("slower");
    expect(result.changePct).toBeCloseTo(30, 6);
    expect(result.pValue).toBeCloseTo(2 / 252, 10);
  });

  test("latency down and throughput up are both faster", () => {
    expect(compareMetric("p50", base, base.map((v) => v * 0.7), ALPHA, 5).verdict).toBe("faster");
    expect(compareMetric("throughput", base, base.map((v) => v * 1.3), ALPHA, 5).verdict).toBe("faster");
    expect(compareMetric("throughput", base, base.map((v) => v * 0.7), ALPHA, 5).verdict).toBe("slower");
  });

  test("a consistent but trivial change (3% < 5%) is no significant change", () => {
    const result = compareMetric("p50", base, base.map((v) => v * 1.03), ALPHA, 5);
    expect(result.pValue).toBeLessThanOrEqual(ALPHA);
    expect(result.verdict).toBe("no significant change");
  });

  test("a change inside the repeats' own spread is no significant change, even when the ranks separate", () => {
    // Noisy base (±20%), new all above it: a 27% median change against a 30% band (40% with the farthest repeat).
    const noisy = [8, 9, 10, 11, 12];
    const result = compareMetric("max", noisy, [12.5, 12.6, 12.7, 12.8, 13], ALPHA, 5);
    expect(result.pValue).toBeLessThanOrEqual(ALPHA);
    expect(result.changePct).toBeCloseTo(27, 6);
    expect(result.noisePct).toBeCloseTo(30, 6);
    expect(result.verdict).toBe("no significant change");
  });

  test("one disturbed repeat among 7 neither widens the band nor hides a 30% change the others show", () => {
    const steady = [10, 10.1, 10.2, 10.05, 9.95, 10.1];
    const result = compareMetric("p50", [...steady, 13], [...steady.map((v) => v * 1.3), 13.2], ALPHA, 5);
    // With the disturbed repeat the band would be 30%, as large as the change.
    expect(result.noisePct).toBeLessThan(5);
    expect(result.verdict).toBe("slower");
  });

  test("overlapping repeats are no significant change whatever the medians say", () => {
    const result = compareMetric("p99", [10, 20, 11, 19, 12], [13, 21, 14, 22, 15], ALPHA, 5);
    expect(result.verdict).toBe("no significant change");
  });

  test.each([
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [2, 8],
  ])("%i vs %i repeats cannot reach significance for six metrics: needs repeats", (n, m) => {
    const a = Array.from({ length: n }, (_, i) => 10 + i * 0.01);
    const b = Array.from({ length: m }, (_, i) => 20 + i * 0.01);
    expect(compareMetric("p50", a, b, ALPHA, 5).verdict).toBe("needs repeats");
  });

  test("a zero baseline has no change in % and no verdict beyond 'no significant change'", () => {
    const result = compareMetric("p50", [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], ALPHA, 5);
    expect(result.changePct).toBeNull();
    expect(result.verdict).toBe("no significant change");
  });
});

describe("compareDocuments", () => {
  test("a closed run 30% slower in every latency and rate: all slower, regressions past 20%", () => {
    const comparison = compareDocuments(documentOf(), documentOf({ latencyScale: 1.3, rateScale: 1 / 1.3 }));
    expect(comparison.points).toHaveLength(1);
    const [point] = comparison.points;
    expect(point!.label).toBe("closed c=20");
    expect(point!.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ["throughput", "slower"],
      ["p50", "slower"],
      ["p90", "slower"],
      ["p99", "slower"],
      ["p999", "slower"],
      ["max", "slower"],
    ]);
    expect(regressions(comparison, 20)).toHaveLength(6);
    expect(regressions(comparison, 40)).toHaveLength(0);
  });

  test("the same data on both sides: no significant change anywhere, no regression", () => {
    const comparison = compareDocuments(documentOf(), documentOf());
    expect(comparison.points[0]!.metrics.every((m) => m.verdict === "no significant change")).toBe(true);
    expect(regressions(comparison, 0)).toHaveLength(0);
  });

  test("a sweep point matches a closed run at the same concurrency; other points are listed as unmatched", () => {
    const sweep = documentOf({ phase: "sweep" }, [...runsOf({ phase: "sweep", concurrency: 10 }), ...runsOf({ phase: "sweep", concurrency: 20 })]);
    const comparison = compareDocuments(sweep, documentOf({ concurrency: 20 }));
    expect(comparison.points.map((p) => p.label)).toEqual(["sweep c=20"]);
    expect(comparison.unmatched).toEqual({ base: ["sweep c=10"], new: [] });
  });

  test("open-loop points match by rate and cap; the achieved rate is the throughput", () => {
    const base = documentOf({ phase: "open", targetRps: 3000, concurrency: 900 });
    const next = documentOf({ phase: "open", targetRps: 3000, concurrency: 900, rateScale: 0.5 });
    const [point] = compareDocuments(base, next).points;
    expect(point!.label).toBe("open 3,000 req/s");
    expect(point!.metrics[0]!.base).toBe(3000);
    expect(point!.metrics[0]!.verdict).toBe("slower");
  });

  test("an open-loop point with another cap still matches the only point at its rate, and says so", () => {
    const base = documentOf({ phase: "open", targetRps: 3000, concurrency: 900 });
    const next = documentOf({ phase: "open", targetRps: 3000, concurrency: 2400 });
    expect(compareDocuments(base, next).points.map((p) => p.label)).toEqual(["open 3,000 req/s (cap 900 vs 2400)"]);
  });

  test("different experiments do not match: nothing compared, both sides listed", () => {
    const comparison = compareDocuments(documentOf({ concurrency: 20 }), documentOf({ phase: "open", targetRps: 500 }));
    expect(comparison.points).toEqual([]);
    expect(comparison.unmatched).toEqual({ base: ["closed c=20"], new: ["open 500 req/s"] });
  });

  test("presets match their open-loop points by level, whatever rate each calibration chose", () => {
    const base = presetDocument();
    const next = structuredClone(base);
    // A calibration 1% lower: every level's rate shifts.
    for (const level of next.summary.preset!.levels) {
      const rate = level.targetRps;
      level.targetRps = Math.round(rate * 0.99);
      for (const run of next.runs) if (run.phase === "open" && run.targetRps === rate) run.targetRps = level.targetRps;
      for (const group of next.summary.groups) if (group.phase === "open" && group.targetRps === rate) group.targetRps = level.targetRps;
    }
    const comparison = compareDocuments(base, next);
    const labels = comparison.points.map((p) => p.label);
    expect(labels.filter((l) => l.startsWith("sweep"))).toHaveLength(sweepDocument().summary.groups.length);
    expect(labels.filter((l) => l.startsWith("open"))).toEqual([
      expect.stringMatching(/^open 50% of capacity \(offered /),
      expect.stringMatching(/^open 90% of capacity \(offered /),
      expect.stringMatching(/^open 110% of capacity \(offered /),
    ]);
    expect(comparison.unmatched).toEqual({ base: [], new: [] });
  });
});

describe("gateVerdict: what --fail-regression makes of a metric", () => {
  const ALPHA = 0.05 / 6;
  const needsRepeats = (metric: "throughput" | "p99", baseValues: number[], newValues: number[]) => compareMetric(metric, baseValues, newValues, ALPHA, 5);

  test("too few repeats and ranges that overlap: cannot judge", () => {
    expect(gateVerdict(needsRepeats("p99", [10, 11, 12], [11, 12, 13]), 5)).toBe("cannot judge");
  });

  test("too few repeats, but every new repeat worse than every base one by more than PCT: a regression", () => {
    expect(gateVerdict(needsRepeats("throughput", [1000, 1010, 1020], [20, 21, 22]), 10)).toBe("regression");
    expect(gateVerdict(needsRepeats("p99", [10, 11, 12], [30, 31, 33]), 10)).toBe("regression");
  });

  test("ranges apart, but by less than PCT: cannot judge", () => {
    // p99: base up to 12, new from 12.5: 4% of the base median apart, under 10%.
    expect(gateVerdict(needsRepeats("p99", [10, 11, 12], [12.5, 13, 13.5]), 10)).toBe("cannot judge");
  });

  test("ranges apart in the better direction by more than PCT: judged, no regression", () => {
    expect(gateVerdict(needsRepeats("throughput", [100, 101, 102], [200, 201, 202]), 10)).toBe("no regression");
  });

  test("enough repeats: the rank test's verdict decides", () => {
    const five = (scale: number) => [10, 10.2, 10.4, 10.6, 10.8].map((v) => v * scale);
    expect(gateVerdict(compareMetric("p99", five(1), five(1.3), ALPHA, 5), 10)).toBe("regression");
    expect(gateVerdict(compareMetric("p99", five(1), five(1.3), ALPHA, 5), 40)).toBe("no regression");
    expect(gateVerdict(compareMetric("p99", five(1), five(1), ALPHA, 5), 0)).toBe("no regression");
  });

  test("the repeats the rank test needs for six metrics at α 0.05: five a side", () => {
    expect(repeatsForVerdict(0.05 / 6)).toBe(5);
  });
});

describe("per-target comparison", () => {
  test("targets matched by name, α shared by all their metrics: a slower target is called, an unchanged one is not", () => {
    const point = compareDocuments(loginDocument(6, 1, "GET /old"), loginDocument(6, 1.5, "GET /new")).points[0]!;
    const byTarget = point.byTarget!;
    // Two shared targets × five percentiles.
    expect(byTarget.alphaPerMetric).toBeCloseTo(0.05 / 10, 12);
    expect(byTarget.targets.map((t) => t.name)).toEqual(["login", "GET /items"]);
    expect(byTarget.unmatched).toEqual({ base: ["GET /old"], new: ["GET /new"] });
    const [login, items] = byTarget.targets;
    expect(login!.metrics.map((m) => m.metric)).toEqual(["p50", "p90", "p99", "p999", "max"]);
    expect(login!.metrics.find((m) => m.metric === "p50")!.verdict).toBe("slower");
    expect(login!.metrics.find((m) => m.metric === "p50")!.changePct).toBeGreaterThan(45);
    expect(items!.metrics.every((m) => m.verdict === "no significant change")).toBe(true);
  });

  test("with too few repeats for so many tests, every target needs repeats; the point's gate ignores targets", () => {
    const comparison = compareDocuments(loginDocument(5, 1, "x"), loginDocument(5, 1.5, "x"));
    const targets = comparison.points[0]!.byTarget!.targets;
    expect(targets.every((t) => t.metrics.every((m) => m.verdict === "needs repeats"))).toBe(true);
    const found = regressions(comparison, 10);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((finding) => comparison.points[0]!.metrics.includes(finding.metric))).toBe(true);
  });

  test("no per-target comparison unless both sides ran a request pool", () => {
    const points = compareDocuments(loginDocument(3, 1, "x"), documentOf({ concurrency: 4 })).points;
    expect(points).toHaveLength(1);
    expect(points[0]!.byTarget).toBeUndefined();
  });
});
