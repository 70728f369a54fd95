import { defaultBacklog, type CapacityRun, type ClosedRun, type OpenRun } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import { decodeHistogram, mergeHistograms } from "../stats/histogram.ts";
import type { CapacityFindings, CapacityProbe } from "../stats/capacity-findings.ts";
import type { Interval, RunResult } from "../stats/result.ts";
import { totalErrors } from "../stats/summary.ts";
import { CAPACITY_DEFAULTS, findCapacity, type CapacityResult, type ProbeResult, type ProbeStep } from "./capacity.ts";
import type { RunStep } from "./modes.ts";

/**
 * `bench capacity` on real sockets: a quick closed loop estimates the throughput, then the search
 * of `capacity.ts` probes open-loop rates, each probe one open run through `runStep` (which owns
 * threads, progress and Ctrl-C), so a probe is measured exactly as `bench open` measures.
 */

export interface CapacityMeasured {
  /** The estimate's run, then every probe's, in order. */
  runs: RunResult[];
  estimateRps: number;
  search: CapacityResult;
  /** The search as the result document carries it. */
  findings: CapacityFindings;
}

/** What an interval of a run must carry for the drift check: where it lies, and its latencies. */
type IntervalLatencies = Pick<Interval, "startS" | "durationS" | "histogram">;

export async function runCapacity(
  run: CapacityRun,
  runStep: RunStep,
  signal: AbortSignal,
  onProbe?: (step: ProbeStep) => void,
): Promise<CapacityMeasured> {
  const estimate: ClosedRun = { kind: "closed", concurrency: run.estimate.concurrency, requests: null, durationS: run.estimate.durationS, warmup: 0, repeat: 1 };
  const runs = await runStep(estimate, "closed", `closed-loop estimate, c=${estimate.concurrency}`);
  const estimateRps = runs[0]?.throughputRps ?? 0;
  if (estimateRps <= 0 && !signal.aborted) throw new RunError("the closed-loop estimate measured no throughput: no response came back");
  // Each probe's run in `runs`, in the order the search made them (null: stopped before it measured).
  const probeRuns: (number | null)[] = [];
  const probe = async (rateRps: number, durationS: number): Promise<ProbeResult> => {
    const step: OpenRun = { kind: "open", rateRps, durationS, concurrency: run.concurrency, backlog: run.backlog ?? defaultBacklog(rateRps, run.concurrency), arrival: run.arrival, repeat: 1, warmupS: run.warmupS };
    const [result] = await runStep(step, "open", `probe ${probeRuns.length + 1}: ${rateRps} req/s for ${durationS} s`);
    probeRuns.push(result === undefined ? null : runs.length);
    if (result === undefined) return interruptedProbe(rateRps);
    runs.push(result);
    return probeResult(result);
  };
  const plan = { ...CAPACITY_DEFAULTS, ...run, startRps: Math.max(1, estimateRps) };
  const search = signal.aborted ? { capacityRps: null, probes: [], conclusion: "stopped before the first probe" } : await findCapacity(plan, probe, onProbe, signal);
  const findings: CapacityFindings = {
    slo: run.slo,
    tolerance: run.tolerance,
    estimateRps,
    capacityRps: search.capacityRps,
    conclusion: search.conclusion,
    probes: search.probes.map((step, i) => capacityProbe(step, probeRuns[i] ?? null)),
  };
  return { runs, estimateRps, search, findings };
}

function capacityProbe(step: ProbeStep, run: number | null): CapacityProbe {
  const { result } = step;
  return {
    step: step.stage,
    rateRps: step.rateRps,
    durationS: step.durationS,
    offeredRps: result.offeredRps,
    achievedRps: result.achievedRps,
    requests: result.requests,
    errors: result.errors,
    dropped: result.dropped,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    pass: step.pass,
    reasons: step.reasons,
    run,
  };
}

/** Intervals to judge a probe's drift by: 1 s, or short enough that a short probe still has thirds to compare. */
export function probeIntervalS(run: Pick<CapacityRun, "probeS">): number {
  return Math.min(1, run.probeS / 6);
}

/** A probe as the search judges it, from an open run's result (and its intervals, when recorded). */
export function probeResult(run: RunResult): ProbeResult {
  const thirds = p99Thirds(run.intervals ?? [], run.durationS);
  return {
    targetRps: run.targetRps ?? 0,
    offeredRps: run.durationS > 0 ? (run.sent + run.dropped) / run.durationS : 0,
    achievedRps: run.achievedRps ?? 0,
    scheduled: run.sent + run.dropped,
    requests: run.requests,
    errors: totalErrors(run.errors),
    dropped: run.dropped,
    p50Ms: run.latencyMs.p50,
    p99Ms: run.latencyMs.p99,
    p99FirstThirdMs: thirds?.firstMs ?? null,
    p99LastThirdMs: thirds?.lastMs ?? null,
    lagP99Ms: run.schedulerLagMs?.p99 ?? 0,
    ...(run.interrupted ? { interrupted: true } : {}),
  };
}

function interruptedProbe(rateRps: number): ProbeResult {
  return {
    targetRps: rateRps,
    offeredRps: 0,
    achievedRps: 0,
    scheduled: 0,
    requests: 0,
    errors: 0,
    dropped: 0,
    p50Ms: 0,
    p99Ms: 0,
    p99FirstThirdMs: null,
    p99LastThirdMs: null,
    lagP99Ms: 0,
    interrupted: true,
  };
}

/**
 * The p99 of the intervals in the first third of the window and of those in the last third, each
 * from their histograms added together (a p99 of p99s would not be one). Null with fewer than
 * three intervals: there is nothing to compare.
 */
export function p99Thirds(intervals: readonly IntervalLatencies[], windowS: number): { firstMs: number; lastMs: number } | null {
  if (intervals.length < 3) return null;
  // An interval belongs to a third when its middle does: the last may be cut short by the window's end.
  const middle = (interval: IntervalLatencies) => interval.startS + interval.durationS / 2;
  const first = intervals.filter((interval) => middle(interval) < windowS / 3);
  const last = intervals.filter((interval) => middle(interval) >= (2 * windowS) / 3);
  if (first.length === 0 || last.length === 0) return null;
  const p99Ms = (group: readonly IntervalLatencies[]) => mergeHistograms(group.map((interval) => decodeHistogram(interval.histogram))).getValueAtPercentile(99) / 1000;
  return { firstMs: p99Ms(first), lastMs: p99Ms(last) };
}
