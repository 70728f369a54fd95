import { describe, expect, test } from "bun:test";
import type { LatencyMs } from "../../src/stats/result.ts";
import { CAPACITY_RULE, openVerdict, rateShortfall, RUN_RULE, type OpenCounts } from "../../src/stats/sustained.ts";
import { zeroErrors } from "../../src/stats/summary.ts";

const latency = (min: number, p50: number, p99 = p50 * 2): LatencyMs => ({ min, mean: p50, p50, p90: p50, p99, p999: p99, max: p99 });

const counts = (extra: Partial<OpenCounts>): OpenCounts => ({
  targetRps: 10_000,
  achievedRps: 10_000,
  sent: 100_000,
  dropped: 0,
  requests: 100_000,
  errors: zeroErrors(),
  serviceTimeMs: latency(0.05, 0.1),
  schedulerLagMs: latency(0, 0.02, 0.5),
  ...extra,
});

describe("sustained or not", () => {
  test("the target delivered, nothing dropped: sustained, nothing to explain", () => {
    expect(openVerdict(counts({ achievedRps: 9_900 }))).toEqual({ sustained: true, shortfall: [] });
  });

  test("achieved short of the target beyond the tolerance: not sustained, said in plain words first", () => {
    const verdict = openVerdict(counts({ achievedRps: 9_000 }));
    expect(verdict.sustained).toBe(false);
    expect(verdict.shortfall).toEqual(["could not sustain 10,000 req/s", "achieved 9,000 req/s (90% of the target)"]);
  });

  test("drops beyond 0.1% of scheduled requests: not sustained even at the full rate", () => {
    expect(openVerdict(counts({ dropped: 50 })).sustained).toBe(true);
    const verdict = openVerdict(counts({ dropped: 70_000, sent: 100_000 }));
    expect(verdict.sustained).toBe(false);
    expect(verdict.shortfall).toContain("41% of scheduled requests were never sent");
  });

  test("a low Poisson rate is not judged on chance: the tolerance widens with 3/√n", () => {
    // 200 scheduled: 3/√200 ≈ 21% more tolerance.
    expect(openVerdict(counts({ targetRps: 200, achievedRps: 160, sent: 200, requests: 200 })).sustained).toBe(true);
  });
});

describe("who was the limit", () => {
  test("service time far above its fastest: the server", () => {
    const { limit } = openVerdict(counts({ achievedRps: 6_000, dropped: 30_000, serviceTimeMs: latency(0.05, 40) }));
    expect(limit?.by).toBe("server");
    expect(limit?.evidence[0]).toStartWith("server: service time rose to p50 40.0 ms from a fastest 0.050 ms");
  });

  test("errors beyond 1%: the server", () => {
    const { limit } = openVerdict(counts({ achievedRps: 8_000, errors: { ...zeroErrors(), status_5xx: 20_000 } }));
    expect(limit).toEqual({ by: "server", evidence: ["server: 20% of requests failed"] });
  });

  test("requests sent late with a connection free: the generator's own CPU", () => {
    const { limit } = openVerdict(counts({ achievedRps: 8_000, schedulerLagMs: latency(0, 3, 25) }));
    expect(limit?.by).toBe("generator");
    expect(limit?.evidence[0]).toContain("its own CPU");
  });

  test("drops while the service time stayed flat: the generator's in-flight cap", () => {
    const { limit } = openVerdict(counts({ achievedRps: 5_000, dropped: 40_000, serviceTimeMs: latency(10, 11) }));
    expect(limit?.by).toBe("generator");
    expect(limit?.evidence[0]).toContain("raise --concurrency");
  });

  test("no response at all is no evidence of a flat service time: the server, not the cap", () => {
    const empty = latency(0, 0, 0);
    const { limit } = openVerdict(counts({ achievedRps: 0, requests: 0, dropped: 90_000, serviceTimeMs: empty }));
    expect(limit?.by).toBe("server");
  });

  test("both at once are both named", () => {
    const { limit } = openVerdict(counts({ achievedRps: 5_000, serviceTimeMs: latency(0.05, 40), schedulerLagMs: latency(0, 3, 25) }));
    expect(limit?.by).toBe("server and generator");
  });
});

describe("one rule, two strictnesses", () => {
  const rates = { targetRps: 1000, offeredRps: 1020, achievedRps: 1000, scheduled: 10_200, dropped: 0 };
  test("a run is held against its target, within 3% and the noise of its count", () => {
    expect(rateShortfall(rates, RUN_RULE)).toEqual([]);
    expect(rateShortfall({ ...rates, achievedRps: 940 }, RUN_RULE)).toEqual(["achieved 940 req/s (94% of the target)"]);
    expect(rateShortfall({ ...rates, dropped: 10 }, RUN_RULE)).toEqual([]);
  });

  test("a capacity probe is held against the rate offered, within 1%, and nothing dropped", () => {
    expect(rateShortfall(rates, CAPACITY_RULE)).toEqual(["achieved 1,000 of 1,020 req/s offered"]);
    expect(rateShortfall({ ...rates, achievedRps: 1010 }, CAPACITY_RULE)).toEqual([]);
    expect(rateShortfall({ ...rates, achievedRps: 1010, dropped: 1 }, CAPACITY_RULE)).toEqual(["1 dropped"]);
  });

  test("openVerdict judges a run by either rule", () => {
    const run = counts({ targetRps: 1000, achievedRps: 985, sent: 10_000, requests: 10_000, durationS: 10 });
    expect(openVerdict(run).sustained).toBe(true);
    expect(openVerdict(run, CAPACITY_RULE).shortfall).toEqual(["could not sustain 1,000 req/s", "achieved 985 of 1,000 req/s offered"]);
  });
});
