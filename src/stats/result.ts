/**
 * The shapes of measured results, as the result document (`--json`, `--out`) carries them.
 * Field names and units are a contract: scripts and `compare`/`merge`/`report` read them.
 */
import type { LimitFinding } from "./sustained.ts";

export const ERROR_KINDS = ["connect", "reset", "timeout", "parse", "closed", "tls", "status_4xx", "status_5xx"] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type ErrorCounts = Record<ErrorKind, number>;

export type Phase = "closed" | "open" | "sweep";

export interface LatencyMs {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One measured run (one repeat at one concurrency or one rate), as in the result document. */
export interface RunResult {
  phase: Phase;
  concurrency: number;
  targetRps: number | null;
  repeat: number;
  durationS: number;
  /** Requests written (or being connected for). A few may still be in flight when a run ends: sent ≥ requests. */
  sent: number;
  /** Requests whose outcome is known: ok + every error kind (4xx/5xx included). */
  requests: number;
  ok: number;
  dropped: number;
  errors: ErrorCounts;
  statuses: Record<string, number>;
  /** Closed loop: completed / (last completion − first send). */
  throughputRps: number;
  /** Open loop: completed in the window / window duration; null in closed loop. */
  achievedRps: number | null;
  /** Closed loop: from send; open loop: from the intended (scheduled) send time. */
  latencyMs: LatencyMs;
  /** Open loop only: from the actual write, i.e. what a closed-loop tool would report. */
  serviceTimeMs: LatencyMs | null;
  /** HdrHistogram compressed base64 of the latency histogram, microseconds. */
  histogram: string;
  /** Open loop only: the service-time histogram, same encoding. */
  serviceHistogram?: string;
  /** Open loop only: intended → actual send of requests that found a free connection (the floor of our accuracy). */
  schedulerLagMs?: LatencyMs;
  /** The run was stopped early (Ctrl-C): what it measured is real but shorter than planned. */
  interrupted?: boolean;
  /** Open loop: the target rate was delivered (see `stats/sustained.ts`). */
  sustained?: boolean;
  /** Open loop, not sustained: who was the limit, and the measurements that say so. */
  limit?: LimitFinding;
  /** Conditions the reader must know about, e.g. running out of file descriptors. */
  warnings?: string[];
}
