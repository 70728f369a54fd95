/**
 * What `bench capacity` found, as the result document carries it (`summary.capacity`): the SLO,
 * the rate found, and every probe of the search with its verdict and why.
 */

export type SearchStep = "start" | "up" | "down" | "bisect" | "confirm";

export interface CapacityProbe {
  /** Where in the search it ran: the start, the geometric steps up or down, bisection, or the longer confirmation. */
  step: SearchStep;
  rateRps: number;
  durationS: number;
  /** Requests scheduled in the window / its duration (a Poisson count scatters around the rate). */
  offeredRps: number;
  achievedRps: number;
  requests: number;
  errors: number;
  dropped: number;
  p50Ms: number;
  /** From the intended send times (coordinated omission corrected). */
  p99Ms: number;
  pass: boolean;
  /** Why it failed; empty when it passed. */
  reasons: string[];
  /** Its run in the document's `runs`, or null when it was stopped before measuring anything. */
  run: number | null;
}

export interface CapacityFindings {
  slo: { p99Ms: number; errorRate: number };
  tolerance: number;
  /** The closed-loop throughput the search started from. */
  estimateRps: number;
  /** The highest rate confirmed within the SLO; null when none was. */
  capacityRps: number | null;
  /** How the search ended, in one sentence. */
  conclusion: string;
  probes: CapacityProbe[];
}
