import type { RunResult } from "./result.ts";
import { openVerdict } from "./sustained.ts";
import type { Tally } from "./tally.ts";
import { answered } from "./summary.ts";
import { formatCount } from "../units.ts";

/**
 * What a reader must be told about a measurement before trusting its numbers: repeats too short to
 * measure the server, percentiles resting on a handful of samples, values the histograms could not
 * hold. Each warning goes into the run's `warnings` (JSON) and to stderr.
 */

/**
 * Under about a second, a repeat measures connection set-up and warm-up as much as the server. A
 * little under 1 s so that a repeat timed to last 1 s (its last response just before the end) passes.
 */
export const MIN_MEANINGFUL_DURATION_S = 0.9;

/**
 * A percentile rests on the samples beyond it: p99.9 of 2,000 latencies is the 2nd-highest of them.
 * Fewer than this many beyond it, and one stray request moves it.
 */
export const MIN_SAMPLES_BEYOND = 10;

/** The tail percentiles every view prints, lowest first (the first too weak is named: those above it are weaker still). */
const PRINTED_PERCENTILES = [
  { name: "p99", beyond: 0.01 },
  { name: "p99.9", beyond: 0.001 },
] as const;

const where = (run: RunResult) => `repeat ${run.repeat} at ${run.targetRps === null ? `concurrency ${run.concurrency}` : `${formatCount(run.targetRps)} req/s`}`;


export function measurementWarnings(run: RunResult): string[] {
  const warnings: string[] = [];
  if (!run.interrupted && run.durationS < MIN_MEANINGFUL_DURATION_S) {
    warnings.push(
      `${where(run)} measured only ${run.durationS.toFixed(2)} s: connection set-up and warm-up weigh in its numbers; run longer (e.g. -d 10s)`,
    );
  }
  const count = answered(run);
  const weak = PRINTED_PERCENTILES.find(({ beyond }) => count * beyond < MIN_SAMPLES_BEYOND);
  if (count > 0 && weak) {
    const needed = MIN_SAMPLES_BEYOND / weak.beyond;
    warnings.push(
      `${where(run)} recorded ${formatCount(count)} latencies: its ${weak.name} rests on ${Math.floor(count * weak.beyond)} of them (${formatCount(needed)} give it ${MIN_SAMPLES_BEYOND})`,
    );
  }
  return warnings;
}

/** Latencies clamped into the histograms' range (negative, or above an hour): an anomaly to report. */
export function outOfRangeWarning(tally: Tally): string | null {
  const count = tally.latency.outOfRangeCount + tally.service.outOfRangeCount + tally.lag.outOfRangeCount;
  return count === 0 ? null : `${formatCount(count)} latencies were outside the histogram's range (negative or above one hour) and were clamped`;
}

/** The run with these warnings added after its own, each once. */
export function withWarnings(run: RunResult, warnings: readonly string[]): RunResult {
  if (warnings.length === 0) return run;
  return { ...run, warnings: [...new Set([...(run.warnings ?? []), ...warnings])] };
}

/**
 * A finished run with what it must say about itself: its warnings and, in an open loop, whether it
 * sustained its rate. Judged on the whole run (threads merged), not on a thread's share of it.
 */
export function reviewed(run: RunResult): RunResult {
  const warnings = measurementWarnings(run);
  if (run.phase !== "open") return withWarnings(run, warnings);
  if (run.dropped > 0) warnings.push(droppedNote(run.dropped));
  const { sustained, limit } = openVerdict(run);
  return { ...withWarnings(run, warnings), sustained, ...(limit ? { limit } : {}) };
}

/** Dropped requests were never sent, so they have no latency: the percentiles are of the rest. */
export function droppedNote(dropped: number): string {
  return `percentiles exclude ${formatCount(dropped)} dropped request${dropped === 1 ? "" : "s"} (never sent, so never timed)`;
}
