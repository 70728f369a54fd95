import { describe, expect, test } from "bun:test";
import {
  CAPACITY_DEFAULTS,
  findCapacity,
  probeFailures,
  type CapacityPlan,
  type Probe,
  type ProbeResult,
  type ProbeStep,
} from "../../src/schedule/capacity.ts";
import { LoadProfile } from "../../src/schedule/stages.ts";
import { seededRandom } from "../support/random.ts";

/**
 * A simulated server: one request at a time, a fixed service time (capacity μ = 1 / service time),
 * fed by the open loop's own schedule (constant or Poisson arrivals from a LoadProfile). Each
 * request waits for the one before it (Lindley's recursion: D/D/1 or M/D/1), requests past the
 * loop's cap + backlog are dropped, and the probe reports what a real probe does.
 */
function queueingServer(serviceMs: number, options: { arrival?: "constant" | "poisson"; cap?: number; seed?: number } = {}): Probe {
  const { arrival = "constant", cap = 800, seed = 1 } = options;
  const random = seededRandom(seed);
  return async (rateRps, durationS) => {
    const profile = LoadProfile.constant(rateRps, durationS);
    const completionsMs: number[] = [];
    const samples: { arrivalMs: number; latencyMs: number }[] = [];
    let head = 0;
    let freeAtMs = 0;
    let dropped = 0;
    let expected = arrival === "constant" ? 0 : -Math.log(1 - random());
    for (let arrivalMs = profile.timeOfArea(expected) * 1000; arrivalMs < durationS * 1000; arrivalMs = profile.timeOfArea(expected) * 1000) {
      expected += arrival === "constant" ? 1 : -Math.log(1 - random());
      while (head < completionsMs.length && completionsMs[head]! <= arrivalMs) head++;
      if (completionsMs.length - head >= 2 * cap) {
        dropped++;
        continue;
      }
      freeAtMs = Math.max(arrivalMs, freeAtMs) + serviceMs;
      completionsMs.push(freeAtMs);
      samples.push({ arrivalMs, latencyMs: freeAtMs - arrivalMs });
    }
    const p = (latencies: number[], q: number) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    };
    const third = (durationS * 1000) / 3;
    const all = samples.map((s) => s.latencyMs);
    return {
      targetRps: rateRps,
      offeredRps: (samples.length + dropped) / durationS,
      achievedRps: completionsMs.filter((t) => t <= durationS * 1000).length / durationS,
      scheduled: samples.length + dropped,
      requests: samples.length,
      errors: 0,
      dropped,
      p50Ms: p(all, 0.5),
      p99Ms: p(all, 0.99),
      p99FirstThirdMs: p(samples.filter((s) => s.arrivalMs < third).map((s) => s.latencyMs), 0.99),
      p99LastThirdMs: p(samples.filter((s) => s.arrivalMs >= 2 * third).map((s) => s.latencyMs), 0.99),
      lagP99Ms: 0,
    };
  };
}

const plan = (extra: Partial<CapacityPlan>): CapacityPlan => ({ ...CAPACITY_DEFAULTS, startRps: 1000, slo: { p99Ms: 20, errorRate: 0 }, ...extra });

describe("findCapacity against a simulated server of capacity μ", () => {
  test.each([
    ["the closed-loop estimate μ", 1000],
    ["an estimate 3× too low", 333],
    ["an estimate 3× too high", 3000],
  ])("constant arrivals from %s: 0.9–1.0 μ in ≤ 10 probes", async (_, startRps) => {
    const seen: ProbeStep[] = [];
    const result = await findCapacity(plan({ startRps }), queueingServer(1), (step) => seen.push(step));
    expect(result.capacityRps).toBeGreaterThanOrEqual(900);
    expect(result.capacityRps).toBeLessThanOrEqual(1000);
    expect(result.probes.length).toBeLessThanOrEqual(10);
    expect(seen).toEqual(result.probes);
    expect(result.probes.at(-1)).toMatchObject({ stage: "confirm", rateRps: result.capacityRps, durationS: 30, pass: true });
    // Every rate above μ failed, with its reasons; every rate at or below passed.
    for (const step of result.probes) {
      expect(step.pass).toBe(step.rateRps <= 1000);
      expect(step.reasons.length > 0).toBe(!step.pass);
    }
    expect(result.conclusion).toContain(`${result.capacityRps!.toLocaleString("en-US")} req/s sustained within the SLO for 30 s`);
  });

  test("Poisson arrivals (M/D/1): queues build below μ; a generous SLO still gives 0.9–1.0 μ", async () => {
    // M/D/1's p99 sojourn reaches 50 service times near ρ = 0.955; a 10 s probe measures it with
    // noise, so the search lands a little under that, differently for each seed.
    const found: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const result = await findCapacity(plan({ slo: { p99Ms: 50, errorRate: 0 } }), queueingServer(1, { arrival: "poisson", seed }));
      expect(result.probes.length).toBeLessThanOrEqual(10);
      found.push(result.capacityRps ?? 0);
    }
    for (const capacityRps of found) {
      expect(capacityRps).toBeGreaterThanOrEqual(850);
      expect(capacityRps).toBeLessThanOrEqual(970);
    }
    expect(found.sort((a, b) => a - b)[2]).toBeGreaterThanOrEqual(900);
  });

  test("a tight SLO on Poisson arrivals lowers the capacity: the p99 decides, not μ", async () => {
    const result = await findCapacity(plan({ slo: { p99Ms: 5, errorRate: 0 } }), queueingServer(1, { arrival: "poisson", seed: 9 }));
    // M/D/1 with a p99 sojourn of 5 service times holds at about ρ = 0.6.
    expect(result.capacityRps).toBeGreaterThan(450);
    expect(result.capacityRps).toBeLessThan(750);
    expect(result.probes.some((step) => step.reasons.some((reason) => reason.startsWith("p99 ")))).toBe(true);
  });

  test("an SLO below the service time is met by no rate: no capacity, and the search ends", async () => {
    const result = await findCapacity(plan({ slo: { p99Ms: 0.5, errorRate: 0 }, maxProbes: 30 }), queueingServer(1));
    expect(result.capacityRps).toBeNull();
    expect(result.conclusion).toBe("no rate down to 1 req/s met the SLO");
    expect(result.probes.every((step) => !step.pass && /^p99 1(\.00)? ms > SLO 0\.5 ms$/.test(step.reasons[0]!))).toBe(true);
    expect(result.probes.map((step) => step.rateRps)).toEqual([1000, 500, 250, 125, 63, 32, 16, 8, 4, 2, 1]);
  });
});

describe("findCapacity's search", () => {
  /** Passes up to `shortRps` in short probes but only up to `longRps` in longer ones, as a leak would. */
  const leaky =
    (shortRps: number, longRps: number): Probe =>
    async (rateRps, durationS) => {
      const passes = rateRps <= (durationS > 10 ? longRps : shortRps);
      return { ...healthy(rateRps), p99Ms: passes ? 5 : 80 };
    };

  test("a failed confirmation steps down by the tolerance and confirms again", async () => {
    const result = await findCapacity(plan({ startRps: 700, slo: { p99Ms: 20, errorRate: 0 } }), leaky(800, 700));
    const confirms = result.probes.filter((step) => step.stage === "confirm");
    expect(confirms.length).toBeGreaterThanOrEqual(2);
    expect(confirms[0]!.pass).toBe(false);
    expect(result.capacityRps).toBe(confirms.at(-1)!.rateRps);
    expect(result.capacityRps).toBeLessThanOrEqual(700);
    expect(result.capacityRps).toBeGreaterThan(700 / 1.05 / 1.05);
    expect(result.probes.length).toBeLessThanOrEqual(CAPACITY_DEFAULTS.maxProbes);
  });

  test("an inconclusive failure is probed again once; a second one counts as a failure", async () => {
    // The generator stalls in the first probe at each rate only: the retry shows the server's real verdict.
    const seen = new Map<number, number>();
    const stalling: Probe = async (rateRps) => {
      const attempt = (seen.get(rateRps) ?? 0) + 1;
      seen.set(rateRps, attempt);
      if (attempt === 1 && rateRps < 900) return { ...healthy(rateRps), p99Ms: 300, lagP99Ms: 250 };
      return rateRps <= 900 ? healthy(rateRps) : { ...healthy(rateRps), p99Ms: 80 };
    };
    const result = await findCapacity(plan({ startRps: 1000 }), stalling);
    expect(result.capacityRps).toBeGreaterThan(900 / 1.05);
    expect(result.capacityRps).toBeLessThanOrEqual(900);
    const first = result.probes.findIndex((step) => step.reasons.some((reason) => reason.startsWith("inconclusive")));
    expect(result.probes[first + 1]).toMatchObject({ rateRps: result.probes[first]!.rateRps, pass: true });
    const always: Probe = async (rateRps) => ({ ...healthy(rateRps), p99Ms: 300, lagP99Ms: 250 });
    const stuck = await findCapacity(plan({ startRps: 1000, maxProbes: 6 }), always);
    expect(stuck.probes.map((step) => step.rateRps)).toEqual([1000, 1000, 500, 500, 250, 250]);
    expect(stuck.capacityRps).toBeNull();
    expect(stuck.conclusion).toBe(
      "no rate down to 250 req/s met the SLO (the generator fell behind in 6 of 6 probes: measure on a quieter machine, or with more --threads)",
    );
  });

  test("a server that never fails is reported at the generator's limit, and said so", async () => {
    const result = await findCapacity(plan({ startRps: 1000, maxRps: 5000 }), async (rateRps) => healthy(rateRps));
    expect(result.capacityRps).toBe(5000);
    expect(result.probes.map((step) => step.rateRps)).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(result.conclusion).toBe("5,000 req/s sustained within the SLO for 30 s; no probe failed up to 5,000 req/s");
  });

  test("the probe budget bounds the search, and an abort stops it between probes", async () => {
    const budget = await findCapacity(plan({ maxProbes: 3 }), queueingServer(1));
    expect(budget.probes).toHaveLength(3);
    expect(budget.capacityRps).toBeNull();
    const controller = new AbortController();
    const stopped = await findCapacity(plan({ startRps: 3000 }), queueingServer(1), () => controller.abort(), controller.signal);
    expect(stopped.probes).toHaveLength(1);
    expect(stopped.capacityRps).toBeNull();
    expect(stopped.conclusion).toBe("stopped before any rate met the SLO");
  });
});

function healthy(targetRps: number): ProbeResult {
  return { targetRps, offeredRps: targetRps, achievedRps: targetRps, scheduled: targetRps * 10, requests: targetRps * 10, errors: 0, dropped: 0, p50Ms: 1, p99Ms: 4, p99FirstThirdMs: 4, p99LastThirdMs: 4, lagP99Ms: 0.2 };
}

describe("probeFailures: a probe passes when sustained, within the SLO, without errors past the limit, and not drifting", () => {
  const slo = { p99Ms: 20, errorRate: 0.01 };
  test.each<[string, Partial<ProbeResult>, string[]]>([
    ["a healthy probe", {}, []],
    ["achieved under 99% of the offered rate", { achievedRps: 989 }, ["not sustained: achieved 989 of 1,000 req/s offered"]],
    ["achieved at 99% of the offered rate", { achievedRps: 990 }, []],
    ["Poisson arrivals offered fewer than the target", { offeredRps: 980.5, achievedRps: 975 }, []],
    ["Poisson arrivals offered more than the target", { offeredRps: 1020, achievedRps: 1000 }, ["not sustained: achieved 1,000 of 1,020 req/s offered"]],
    ["drops", { dropped: 3 }, ["not sustained: 3 dropped"]],
    ["p99 over the SLO", { p99Ms: 20.5 }, ["p99 20.50 ms > SLO 20 ms"]],
    ["errors past the limit", { errors: 101 }, ["error rate 1.01% > 1%"]],
    ["errors at the limit", { errors: 100 }, []],
    ["p99 drifting up past half the SLO", { p99FirstThirdMs: 6, p99LastThirdMs: 12, p99Ms: 12 }, ["p99 drifting up: 6 ms → 12 ms over the probe"]],
    ["p99 rising 1.5× exactly", { p99FirstThirdMs: 8, p99LastThirdMs: 12, p99Ms: 12 }, []],
    ["a rise below half the SLO is noise", { p99FirstThirdMs: 1, p99LastThirdMs: 9.9, p99Ms: 9.9 }, []],
    ["no intervals to compare", { p99FirstThirdMs: null, p99LastThirdMs: null }, []],
    ["no response at all", { requests: 0, achievedRps: 0 }, ["no response came back"]],
    ["interrupted", { interrupted: true, achievedRps: 10 }, ["interrupted"]],
    ["a failure while the generator fell behind is inconclusive", { p99Ms: 90, lagP99Ms: 5.5 }, ["p99 90 ms > SLO 20 ms", "inconclusive: the generator fell behind (lag p99 5.50 ms)"]],
    ["a pass while the generator lagged is still a pass", { lagP99Ms: 5.5 }, []],
    ["several at once", { achievedRps: 500, dropped: 1, p99Ms: 90 }, ["not sustained: achieved 500 of 1,000 req/s offered", "not sustained: 1 dropped", "p99 90 ms > SLO 20 ms"]],
  ])("%s", (_, change, reasons) => {
    expect(probeFailures({ ...healthy(1000), ...change }, slo)).toEqual(reasons);
  });
});
