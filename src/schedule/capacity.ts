import type { SearchStep } from "../stats/capacity-findings.ts";
import { CAPACITY_RULE, rateShortfall } from "../stats/sustained.ts";
import { formatCount } from "../units.ts";

/**
 * The capacity under an SLO: the highest open-loop arrival rate a server sustains with its p99
 * (measured from the intended send times) and its error rate within limits. A closed loop's best
 * throughput is not that number: it is measured under back-pressure, with latencies no open system
 * would see. So the rate is found by search, over open-loop probes: from an estimate, geometrically
 * up (or down) until the verdict changes, then bisection to the tolerance, then one longer run at
 * the rate found to confirm it.
 *
 * Pure: the probe is injected (a real open-loop run, or a simulated server in tests).
 */

/** What one open-loop probe measured. */
export interface ProbeResult {
  targetRps: number;
  /**
   * Scheduled in the probe's window / its duration: the target for constant arrivals, a random
   * count around it for Poisson arrivals (±1.4% over 10 s at 500 req/s), which is what the server
   * was asked to sustain.
   */
  offeredRps: number;
  /** Completed in the probe's window / its duration. */
  achievedRps: number;
  /** Requests scheduled in the window: sent + dropped. */
  scheduled: number;
  /** Outcomes known (ok + errors). */
  requests: number;
  errors: number;
  dropped: number;
  p50Ms: number;
  /** Coordinated-omission corrected: from the intended send times. */
  p99Ms: number;
  /** p99 of the first and the last third of the probe's intervals; null when too short to tell. */
  p99FirstThirdMs: number | null;
  p99LastThirdMs: number | null;
  /** p99 of how late requests that found a free connection were sent: the generator's own lateness. */
  lagP99Ms: number;
  /** Stopped before its end (Ctrl-C): it cannot pass. */
  interrupted?: boolean;
}

export type Probe = (rateRps: number, durationS: number) => Promise<ProbeResult>;

export interface Slo {
  p99Ms: number;
  /** Largest share of requests that may fail (errors / outcomes), 0 for none. */
  errorRate: number;
}

export interface CapacityPlan {
  /** Where the search starts: a quick closed-loop estimate of the throughput. */
  startRps: number;
  slo: Slo;
  /** Relative width at which bisection stops: 0.05 finds the capacity within 5%. */
  tolerance: number;
  probeS: number;
  confirmS: number;
  /** Most probes in all, confirmations included. */
  maxProbes: number;
  /** The geometric step up or down before bisecting. */
  factor: number;
  /** Rates are whole requests per second, from 1 to this (the generator's own limit). */
  maxRps: number;
}

export const CAPACITY_DEFAULTS = { tolerance: 0.05, probeS: 10, confirmS: 30, maxProbes: 12, factor: 2, maxRps: 1_000_000 };

/** p99 drifts when its last third exceeds its first third by this factor… */
export const DRIFT_FACTOR = 1.5;
/**
 * …and the last third's p99 has passed this share of the SLO. Below it a rise is noise, not a
 * queue building up: a 1 ms p99 that a pause turns into 2 ms says nothing about the SLO, and with
 * Poisson arrivals a stable queue at 85% load swings 1.5× between thirds of a 10 s probe. A queue
 * that grows without end still shows: it crosses half the SLO, at the latest in the longer
 * confirmation run.
 */
export const DRIFT_FLOOR_OF_SLO = 0.5;

/**
 * A probe whose own sends ran this late (p99, as a share of the SLO) measured the generator, not
 * the server: a stalled or starved load generator delays requests and responses alike. Such a
 * failure is inconclusive, and the probe is run once more before the search believes it.
 */
export const LAG_LIMIT_OF_SLO = 0.25;

export type ProbeStage = SearchStep;

export interface ProbeStep {
  stage: ProbeStage;
  rateRps: number;
  durationS: number;
  result: ProbeResult;
  pass: boolean;
  /** Why it failed (empty when it passed). */
  reasons: string[];
}

export interface CapacityResult {
  /** The confirmed rate, or null when no rate met the SLO (or the search was stopped first). */
  capacityRps: number | null;
  /** Every probe in order, with its verdict and why. */
  probes: ProbeStep[];
  /** One sentence on how the search ended. */
  conclusion: string;
}

const fmt = (n: number, digits = 1) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

/** Why a probe fails the SLO; empty when it passes. */
export function probeFailures(result: ProbeResult, slo: Slo): string[] {
  const reasons: string[] = [];
  if (result.interrupted) return ["interrupted"];
  if (result.requests === 0) return ["no response came back"];
  // Sustained by the rule every open run is judged by, at the capacity search's strictness.
  reasons.push(...rateShortfall(result, CAPACITY_RULE).map((shortfall) => `not sustained: ${shortfall}`));
  if (result.p99Ms > slo.p99Ms) reasons.push(`p99 ${fmt(result.p99Ms, 2)} ms > SLO ${fmt(slo.p99Ms)} ms`);
  const errorRate = result.errors / result.requests;
  if (errorRate > slo.errorRate) reasons.push(`error rate ${fmt(errorRate * 100, 2)}% > ${fmt(slo.errorRate * 100, 2)}%`);
  const first = result.p99FirstThirdMs;
  const last = result.p99LastThirdMs;
  if (first !== null && last !== null && last > DRIFT_FACTOR * first && last >= DRIFT_FLOOR_OF_SLO * slo.p99Ms) {
    reasons.push(`p99 drifting up: ${fmt(first, 2)} ms → ${fmt(last, 2)} ms over the probe`);
  }
  if (reasons.length > 0 && generatorBehind(result, slo)) reasons.push(`inconclusive: the generator fell behind (lag p99 ${fmt(result.lagP99Ms, 2)} ms)`);
  return reasons;
}

const generatorBehind = (result: ProbeResult, slo: Slo) => result.lagP99Ms > LAG_LIMIT_OF_SLO * slo.p99Ms;

export async function findCapacity(plan: CapacityPlan, probe: Probe, onProbe?: (step: ProbeStep) => void, signal?: AbortSignal): Promise<CapacityResult> {
  const probes: ProbeStep[] = [];
  const clamp = (rateRps: number) => Math.min(plan.maxRps, Math.max(1, Math.round(rateRps)));
  const canProbe = () => probes.length < plan.maxProbes && !signal?.aborted;
  const run = async (stage: ProbeStage, rateRps: number, durationS: number): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      const result = await probe(rateRps, durationS);
      const reasons = probeFailures(result, plan.slo);
      const step = { stage, rateRps, durationS, result, pass: reasons.length === 0, reasons };
      probes.push(step);
      onProbe?.(step);
      // An inconclusive failure is run again once; failing twice, it counts as a failure.
      if (step.pass || attempt === 2 || !generatorBehind(result, plan.slo) || !canProbe()) return step.pass;
    }
  };
  const stopped = (conclusion: string): CapacityResult => {
    // A search that failed because the generator could not keep its schedule says so: its failures measured the generator.
    const behind = probes.filter((step) => !step.pass && generatorBehind(step.result, plan.slo)).length;
    const why = behind > 0 ? ` (the generator fell behind in ${behind} of ${probes.length} probes: measure on a quieter machine, or with more --threads)` : "";
    return { capacityRps: null, probes, conclusion: conclusion + why };
  };

  // Bracket: `low` passed, `high` failed (null while unknown).
  let low: number | null = null;
  let high: number | null = null;
  let rateRps = clamp(plan.startRps);
  if (await run("start", rateRps, plan.probeS)) low = rateRps;
  else high = rateRps;
  while (low === null && rateRps > 1 && canProbe()) {
    rateRps = clamp(rateRps / plan.factor);
    if (await run("down", rateRps, plan.probeS)) low = rateRps;
    else high = rateRps;
  }
  while (high === null && rateRps < plan.maxRps && canProbe()) {
    rateRps = clamp(rateRps * plan.factor);
    if (await run("up", rateRps, plan.probeS)) low = rateRps;
    else high = rateRps;
  }
  if (low === null) return stopped(signal?.aborted ? "stopped before any rate met the SLO" : `no rate down to ${formatCount(rateRps)} req/s met the SLO`);

  // Geometric midpoints: the tolerance is relative, so each halves the ratio high/low.
  while (high !== null && high > low * (1 + plan.tolerance) && canProbe()) {
    const middle = clamp(Math.sqrt(low * high));
    if (middle <= low || middle >= high) break;
    if (await run("bisect", middle, plan.probeS)) low = middle;
    else high = middle;
  }

  // A short probe can pass at a rate a longer run would not sustain: confirm, stepping down by the tolerance.
  while (canProbe()) {
    if (await run("confirm", low, plan.confirmS)) {
      const bound = high === null ? `no probe failed up to ${formatCount(low)} req/s` : `${formatCount(high)} req/s failed`;
      return { capacityRps: low, probes, conclusion: `${formatCount(low)} req/s sustained within the SLO for ${fmt(plan.confirmS)} s; ${bound}` };
    }
    high = low;
    const lower = clamp(low / (1 + plan.tolerance));
    if (lower >= low) break;
    low = lower;
  }
  return stopped(signal?.aborted ? "stopped before the capacity was confirmed" : `no rate was confirmed within ${plan.maxProbes} probes`);
}
