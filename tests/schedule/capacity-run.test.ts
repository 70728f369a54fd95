import type { CapacityRun } from "../../src/config/plan.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { p99Thirds, probeResult, runCapacity } from "../../src/schedule/capacity-run.ts";
import type { RunStep } from "../../src/schedule/modes.ts";
import { runClosed, runOpen } from "../../src/schedule/run.ts";
import { createLatencyHistogram, encodeHistogram } from "../../src/stats/histogram.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { zeroErrors } from "../../src/stats/summary.ts";
import { knownCapacityServer, loadOf } from "./known-capacity-server.ts";

const servers: { stop(): void }[] = [];
afterAll(() => {
  for (const server of servers) server.stop();
});

/**
 * Where the capacity lands against this server depends on how much of this shared machine the
 * test gets (`scripts/capacity-loopback.ts` measures that it lands at 0.9–1.0 μ); what cannot depend
 * on it is checked here: no rate past μ is sustained, and every probe is one real open run.
 */
describe("runCapacity against a loopback server of known capacity μ", () => {
  test("a closed-loop estimate, then probes that are real open runs; nothing past μ passes", async () => {
    const server = knownCapacityServer(4);
    servers.push(server);
    const load = loadOf(server.port);
    const runStep: RunStep = (step, phase) => (step.kind === "open" ? runOpen(load, step) : runClosed(load, step, phase));
    const run: CapacityRun = {
      kind: "capacity",
      slo: { p99Ms: 200, errorRate: 0 },
      tolerance: 0.05,
      probeS: 1,
      confirmS: 1.5,
      maxProbes: 5,
      concurrency: 64,
      backlog: 100,
      arrival: "constant",
      warmupS: 0.2,
      estimate: { concurrency: 4, durationS: 0.5 },
    };
    const seen: number[] = [];
    const { runs, estimateRps, search } = await runCapacity(run, runStep, new AbortController().signal, (step) => seen.push(step.rateRps));
    const muRps = server.capacityRps;
    // A one-at-a-time server's closed loop measures μ itself, less what a stall costs.
    expect(estimateRps).toBeLessThanOrEqual(muRps * 1.02);
    expect(estimateRps).toBeGreaterThan(muRps * 0.5);
    expect(search.probes[0]!.rateRps).toBe(Math.round(estimateRps));
    expect(seen).toEqual(search.probes.map((p) => p.rateRps));
    expect(search.probes.length).toBeLessThanOrEqual(5);
    expect(runs).toHaveLength(1 + search.probes.length);
    expect(runs.slice(1).map((r) => [r.phase, r.targetRps])).toEqual(search.probes.map((p) => ["open", p.rateRps]));
    // At twice μ half the requests cannot be served: nothing past μ (and 1% of slack) is sustained.
    for (const step of search.probes.filter((p) => p.rateRps > muRps * 1.02)) {
      expect(step.pass).toBe(false);
      expect(step.reasons.join("; ")).toMatch(/not sustained|dropped/);
    }
    if (search.capacityRps !== null) expect(search.capacityRps).toBeLessThanOrEqual(muRps * 1.02);
  }, 60_000);
});

function histogramOf(latenciesUs: number[]): string {
  const histogram = createLatencyHistogram();
  for (const us of latenciesUs) histogram.recordValue(us);
  return encodeHistogram(histogram);
}

describe("a probe's verdict from an open run", () => {
  const interval = (startS: number, latenciesUs: number[]) => ({ startS, durationS: 1, histogram: histogramOf(latenciesUs) });

  test("p99 of the first and last thirds come from their intervals' histograms added together", () => {
    const intervals = [
      interval(0, [1000, 1000, 1000]),
      interval(1, [2000]),
      interval(2, [3000]),
      interval(3, [4000]),
      interval(4, [5000, 5000]),
      interval(5, [9000]),
    ];
    // A 6 s window: thirds hold intervals 0–1 and 4–5.
    const thirds = p99Thirds(intervals, 6)!;
    expect(thirds.firstMs).toBeCloseTo(2, 2);
    expect(thirds.lastMs).toBeCloseTo(9, 1);
    expect(p99Thirds(intervals.slice(0, 2), 6)).toBeNull();
  });

  test("offered, achieved, errors and drops are read from the run", () => {
    const run: RunResult = {
      phase: "open",
      concurrency: 100,
      targetRps: 1000,
      repeat: 1,
      durationS: 10,
      sent: 9950,
      requests: 9950,
      ok: 9940,
      dropped: 50,
      errors: { ...zeroErrors(), timeout: 4, status_5xx: 6 },
      statuses: { "200": 9940, "503": 6 },
      throughputRps: 990,
      achievedRps: 990,
      latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p99: 7.5, p999: 9, max: 10 },
      serviceTimeMs: null,
      histogram: histogramOf([1000]),
      schedulerLagMs: { min: 0, mean: 0.1, p50: 0.1, p90: 0.2, p99: 0.4, p999: 1, max: 2 },
    };
    expect(probeResult(run)).toEqual({
      targetRps: 1000,
      offeredRps: 1000,
      achievedRps: 990,
      scheduled: 10000,
      requests: 9950,
      errors: 10,
      dropped: 50,
      p50Ms: 2,
      p99Ms: 7.5,
      p99FirstThirdMs: null,
      p99LastThirdMs: null,
      lagP99Ms: 0.4,
    });
    expect(probeResult({ ...run, interrupted: true }).interrupted).toBe(true);
  });
});
