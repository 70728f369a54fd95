/**
 * The shapes of measured results, as the result document (`--json`, `--out`) carries them.
 * Field names and units are a contract: scripts and `compare`/`merge`/`report` read them.
 */
import type { StageResult } from "./stage-results.ts";
import type { LimitFinding } from "./sustained.ts";

/**
 * `check`: a response that failed a response check (`--expect-status`, `--expect-body`,
 * `--expect-header`); its latency is recorded as any response's is. With `--expect-status` the
 * status set decides, not the status class: a 404 it expects is ok, a 500 it does not is `check`.
 * Absent from documents written before it was counted.
 */
export const ERROR_KINDS = ["connect", "reset", "timeout", "parse", "closed", "tls", "status_4xx", "status_5xx", "check"] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type ErrorCounts = Record<ErrorKind, number>;

export type Phase = "closed" | "open" | "sweep";

/**
 * Where the requests of a run came from: one fixed request (`fixed`), or a request pool built from a
 * targets file or a script's targets() (`pool`).
 */
export type Generator = "fixed" | "pool";

/** One response check's counts: responses that met it and responses that did not. */
export interface CheckCounts {
  passed: number;
  failed: number;
}

/**
 * The outcomes of one group of targets: a target's `# @name`, or for unnamed targets their
 * method and path (`GET /users`, without the query). Past `MAX_TARGET_GROUPS` groups, the rest
 * are counted together under `OTHER_TARGETS`.
 */
export interface TargetResult {
  name: string;
  /** Outcomes known: ok + every error kind. */
  requests: number;
  ok: number;
  errors: ErrorCounts;
  statuses: Record<string, number>;
  /** As the run's `latencyMs`: from the send (closed loop) or the intended send time (open loop). */
  latencyMs: LatencyMs;
  /** HdrHistogram compressed base64 of this group's latencies, microseconds. */
  histogram: string;
}

/** Groups of `byTarget` kept apart at most; the rest share one row. A histogram each keeps this small. */
export const MAX_TARGET_GROUPS = 100;
export const OTHER_TARGETS = "(other)";

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
  /** Parse errors by reason (the parser's words); they sum to `errors.parse`. Absent from documents written before it was counted. */
  parseErrors?: Record<string, number>;
  /**
   * Requests sent a second time, on a new connection, because the server closed the connection
   * they were written on before answering (a keep-alive close crossing them on the wire). Each
   * still counts once in `requests`, by its final outcome. Absent from older documents.
   */
  retried?: number;
  statuses: Record<string, number>;
  /** Where the requests came from. Absent from older documents (which sent one fixed request). */
  generator?: Generator;
  /** Each response check by name (`status`, `body`, `header:Name`, a script's `script` and `script:NAME`): `{}` without checks. Absent from older documents. */
  checks?: Record<string, CheckCounts>;
  /**
   * A request pool's outcomes per group of targets, in the order the groups first appear in the
   * pool (an `OTHER_TARGETS` row last, when there is one). Absent for a fixed request.
   */
  byTarget?: TargetResult[];
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
  /** When the run's measured time began (ISO-8601, ms): the zero of its intervals' `startS`. Set with intervals. */
  startedAt?: string;
  /**
   * The run over time, one entry per interval (`--interval`), in order: what each interval counted and
   * recorded. They add up exactly to the run's counts and histograms.
   */
  intervals?: Interval[];
  /** Open loop in stages (`--stages`): each stage's results, from its intervals. */
  stages?: StageResult[];
  /** The run was stopped early (Ctrl-C): what it measured is real but shorter than planned. */
  interrupted?: boolean;
  /** Open loop: the target rate was delivered (see `stats/sustained.ts`). */
  sustained?: boolean;
  /** Open loop, not sustained: who was the limit, and the measurements that say so. */
  limit?: LimitFinding;
  /** Conditions the reader must know about, e.g. running out of file descriptors. */
  warnings?: string[];
}

/**
 * One interval of a run: what happened between `startS` and `startS + durationS` seconds after the
 * run's `startedAt`. Outcomes and latencies count in the interval they completed in, sends in the
 * one they were sent in, drops in the one they were dropped in.
 */
export interface Interval {
  startS: number;
  durationS: number;
  sent: number;
  /** Outcomes known in this interval: ok + every error kind. */
  requests: number;
  ok: number;
  dropped: number;
  errors: ErrorCounts;
  /** Requests sent a second time in this interval (see `RunResult.retried`). Absent from documents written before it was counted. */
  retried?: number;
  statuses: Record<string, number>;
  /** Responses (any status) per second of this interval. */
  achievedRps: number;
  latencyMs: LatencyMs;
  /** HdrHistogram compressed base64 of this interval's latencies, microseconds. */
  histogram: string;
  /** Open loop only: this interval's service times, same encoding. */
  serviceHistogram?: string;
  /** Open loop only: this interval's scheduler lag, same encoding. */
  lagHistogram?: string;
}
