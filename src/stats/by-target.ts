import type { ResultDocument } from "./document.ts";
import { decodeHistogram, encodeHistogram, mergeHistograms } from "./histogram.ts";
import { OTHER_TARGETS, type LatencyMs, type RunResult, type TargetResult } from "./result.ts";
import { addErrors, median, sumCounts, zeroErrors, type GroupSummary } from "./summary.ts";

/**
 * The per-target results of one measured point across its repeats, as the point's own summary is
 * made: counts summed, each percentile the median across the repeats that sent to the target,
 * and every repeat's histogram of it merged, for curves. Pure; what CSV, HTML and compare show.
 */
export interface TargetSummary extends TargetResult {
  /** Repeats in which the target had outcomes. */
  repeats: number;
  // `latencyMs`: each percentile's median across those repeats; `histogram`: the repeats' added.
}

const LATENCY_FIELDS = ["min", "mean", "p50", "p90", "p99", "p999", "max"] as const satisfies readonly (keyof LatencyMs)[];

/** The runs behind a point of the summary. */
export function runsOfGroup(document: ResultDocument, group: Pick<GroupSummary, "phase" | "concurrency" | "targetRps">): RunResult[] {
  return document.runs.filter((run) => run.phase === group.phase && run.concurrency === group.concurrency && run.targetRps === group.targetRps);
}

/** Each target of the runs, in the order they first appear, the `(other)` row last; [] for runs of one fixed request. */
export function targetSummaries(runs: readonly RunResult[]): TargetSummary[] {
  const byName = new Map<string, TargetResult[]>();
  for (const run of runs) {
    for (const target of run.byTarget ?? []) {
      const list = byName.get(target.name);
      if (list) list.push(target);
      else byName.set(target.name, [target]);
    }
  }
  const names = [...byName.keys()].sort((a, b) => Number(a === OTHER_TARGETS) - Number(b === OTHER_TARGETS));
  return names.map((name) => summarize(name, byName.get(name)!));
}

function summarize(name: string, repeats: readonly TargetResult[]): TargetSummary {
  const latency = {} as LatencyMs;
  for (const field of LATENCY_FIELDS) latency[field] = median(repeats.map((target) => target.latencyMs[field]));
  return {
    name,
    repeats: repeats.length,
    requests: repeats.reduce((sum, target) => sum + target.requests, 0),
    ok: repeats.reduce((sum, target) => sum + target.ok, 0),
    errors: repeats.map((target) => target.errors).reduce(addErrors, zeroErrors()),
    statuses: sumCounts(repeats.map((target) => target.statuses)),
    latencyMs: latency,
    histogram: encodeHistogram(mergeHistograms(repeats.map((target) => decodeHistogram(target.histogram)))),
  };
}
