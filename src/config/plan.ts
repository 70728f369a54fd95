import type { SocketLayer } from "../client/choose-transport.ts";
import type { Target } from "../client/target.ts";
import type { Slo } from "../schedule/capacity.ts";
import type { CheckFlags } from "../workload/checks.ts";
import type { WorkloadPlan } from "../workload/workload.ts";
import type { Stage } from "../schedule/stages.ts";
import type { Profile } from "./bench-config.ts";
import type { OutputPlan } from "./bench-plan.ts";

/**
 * The typed plan a bench command runs: flags, `bench_config.json` and defaults merged and validated
 * once (flag > file > default). Nothing downstream validates again.
 */

export interface LoadOptions {
  target: Target;
  keepAlive: boolean;
  pipeline: number;
  timeoutMs: number;
  threads: number;
  /** The sockets of a closed loop: epoll where it can serve when unset (tests set it to check both). */
  sockets?: SocketLayer;
  /** Requests from a targets file instead of `target.request` (whose origin `target` then is). */
  workload?: WorkloadPlan | null;
  /** Response checks (`--expect-*`); null or absent: none. */
  checks?: CheckFlags | null;
  /** Which of the threads of `--threads` this load runs on: its share of `{{seq}}` and of an `once` order. */
  thread?: { index: number; count: number };
}

export interface ClosedRun {
  kind: "closed";
  concurrency: number;
  /** Count-bound run (null when bound by `durationS`). */
  requests: number | null;
  durationS: number | null;
  /** A count-bound repeat that finishes sooner goes on, timed, until it has measured this long (unset or 0: no minimum). */
  minDurationS?: number;
  warmup: number;
  repeat: number;
  /**
   * The connections move through these (`--stages`), from `startConnections`; `concurrency` is
   * then the most they reach, and `durationS` their total. Absent: `concurrency` throughout.
   */
  stages?: Stage[];
  startConnections?: number;
}

/**
 * The open loop's default backlog, in seconds of requests at the target rate: a stall of up to this
 * long is queued and shows as latency from the intended time (as wrk2 shows it), not as drops. An
 * intended time is 8 bytes, so even a million req/s costs 24 MB.
 */
export const DEFAULT_BACKLOG_S = 3;

export function defaultBacklog(rateRps: number, concurrency: number): number {
  return Math.max(concurrency, Math.ceil(rateRps * DEFAULT_BACKLOG_S));
}

export interface OpenRun {
  kind: "open";
  /** The rate, or with `stages` the rate they start from (and the warm-up's). */
  rateRps: number;
  /** With `stages`, their total duration. */
  durationS: number;
  /** The rate moves through these (`--stages`); absent: constant at `rateRps`. */
  stages?: Stage[];
  /** Most requests in flight at once. */
  concurrency: number;
  backlog: number;
  arrival: "constant" | "poisson";
  repeat: number;
  warmupS: number;
}

export interface SweepRun {
  kind: "sweep";
  concurrencies: number[];
  /** Requests per repeat at each concurrency. */
  requests: number;
  /** Each repeat measures at least this long, however fast its requests complete. */
  minDurationS: number;
  warmup: number;
  repeat: number;
  sloP99Ms: number | null;
}

export interface PresetRun {
  kind: "preset";
  profileName: string;
  profile: Profile;
  outDir: string;
  /**
   * How the capacity X the levels are fractions of is found: a closed-loop sweep's best throughput,
   * or with `capacity` (and the profile's `slo_p99_ms`), the open-loop capacity within that SLO.
   */
  calibrate: "sweep" | "capacity";
}

/** `bench capacity`: the highest open-loop rate within an SLO, found by a search over probes. */
export interface CapacityRun {
  kind: "capacity";
  slo: Slo;
  tolerance: number;
  probeS: number;
  confirmS: number;
  maxProbes: number;
  /** Each probe's open loop: most requests in flight, and how many may wait for a slot (null: the default at the probe's rate). */
  concurrency: number;
  backlog: number | null;
  arrival: "constant" | "poisson";
  /** Each probe's warm-up at its own rate: its requests do not count. */
  warmupS: number;
  /** The quick closed loop that gives the search its start. */
  estimate: { concurrency: number; durationS: number };
}

export type ModeRun = ClosedRun | OpenRun | SweepRun | PresetRun | CapacityRun;

/** A whole bench command: what to load, how the run goes, and what to write. */
export interface BenchPlan {
  load: LoadOptions;
  run: ModeRun;
  output: OutputPlan;
}
