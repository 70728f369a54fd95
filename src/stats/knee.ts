/**
 * Reading a concurrency sweep: where throughput peaks, where it stops paying to add
 * concurrency, and how much throughput a p99 target allows. Pure functions over the per-point
 * summaries (medians across repeats); each returns the chosen point itself, or null.
 */
import type { SweepFindings } from "./document.ts";
import type { GroupSummary } from "./summary.ts";

/** Only what these decisions read, so callers and tests can pass any summary-like point. */
export type SweepPoint = Pick<GroupSummary, "concurrency" | "throughputRps"> & {
  latencyMs: Pick<GroupSummary["latencyMs"], "p99">;
};

/** The knee is the first concurrency reaching this share of the best throughput. */
export const KNEE_FRACTION = 0.9;

// Throughputs are measured floats: a point at exactly 90% (900 of 1000, 2.7 of 3) must not be
// lost to the last bit of a division.
const RATIO_TOLERANCE = 1e-9;

/**
 * The point with the highest median throughput; on a tie the smaller concurrency, since it
 * delivers the same for less load. Null when no point completed anything.
 */
export function best<P extends SweepPoint>(points: readonly P[]): P | null {
  let chosen: P | null = null;
  for (const point of points) {
    if (!(point.throughputRps > 0)) continue;
    if (chosen === null || isBetter(point, chosen)) chosen = point;
  }
  return chosen;
}

/**
 * The smallest concurrency whose median throughput is at least `fraction` of the best: past it,
 * more concurrency mostly buys latency. Null when there is no best.
 */
export function knee<P extends SweepPoint>(points: readonly P[], fraction: number = KNEE_FRACTION): P | null {
  const top = best(points);
  if (top === null) return null;
  let chosen: P | null = null;
  for (const point of points) {
    if (point.throughputRps / top.throughputRps < fraction - RATIO_TOLERANCE) continue;
    if (chosen === null || point.concurrency < chosen.concurrency) chosen = point;
  }
  return chosen;
}

/**
 * The highest-throughput point whose median p99 meets the SLO (p99 ≤ `sloP99Ms`); ties → the
 * smaller concurrency. Null when no point with any throughput meets it.
 */
export function sloCapacity<P extends SweepPoint>(points: readonly P[], sloP99Ms: number): P | null {
  return best(points.filter((point) => point.latencyMs.p99 <= sloP99Ms));
}

function isBetter(candidate: SweepPoint, current: SweepPoint): boolean {
  if (candidate.throughputRps !== current.throughputRps) return candidate.throughputRps > current.throughputRps;
  return candidate.concurrency < current.concurrency;
}

/** A sweep's findings from its per-concurrency summaries: best, knee and, with an SLO, its capacity. */
export function sweepFindings(groups: readonly GroupSummary[], sloP99Ms: number | null): SweepFindings {
  const points = groups.filter((group) => group.phase === "sweep");
  const point = (group: GroupSummary | null) => (group === null ? null : { concurrency: group.concurrency, throughputRps: group.throughputRps });
  return {
    best: point(best(points)),
    knee: point(knee(points)),
    ...(sloP99Ms === null ? {} : { slo: { p99Ms: sloP99Ms, point: point(sloCapacity(points, sloP99Ms)) } }),
  };
}
