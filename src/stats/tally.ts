import { LatencyRecorder } from "./histogram.ts";
import type { CheckCounts, ErrorCounts, ErrorKind, Generator } from "./result.ts";
import { zeroErrors } from "./summary.ts";

/** How a response counts: by its status class, as ok (it passed `--expect-status`), or as a failed check. */
export const BY_STATUS = 0;
export const PASSED = 1;
export const FAILED_CHECK = 2;

/** What a tally keeps beside the run's totals: per-target groups and response checks, by name. */
export interface TallyShape {
  generator: Generator;
  /** Group names of a request pool (`byTarget`), or null for one fixed request. */
  groups: readonly string[] | null;
  /** Names of the response checks, in the order of their bits. */
  checks: readonly string[];
  /** A script's check(response) judges the responses too. */
  scriptCheck?: boolean;
}

const NO_EXTRAS: TallyShape = { generator: "fixed", groups: null, checks: [] };

/**
 * What a script's `check(response)` said, as `checks` reports it: every response it judged under
 * `script`, and each name it returned as a failure under `script:NAME` (passed by every response
 * it did not name).
 */
export class ScriptCheckCounts {
  checked = 0;
  failed = 0;
  readonly failedBy = new Map<string, number>();

  /** One verdict: null when it passed, else the failure's name ("" for a plain false). */
  count(failure: string | null): void {
    this.checked++;
    if (failure === null) return;
    this.failed++;
    if (failure !== "") this.failedBy.set(failure, (this.failedBy.get(failure) ?? 0) + 1);
  }

  toJSON(): Record<string, CheckCounts> {
    const counts: Record<string, CheckCounts> = { script: { passed: this.checked - this.failed, failed: this.failed } };
    for (const [name, failed] of this.failedBy) counts[`script:${name}`] = { passed: this.checked - failed, failed };
    return counts;
  }
}

/** One group of targets' outcomes: what `byTarget` reports. */
export class TargetTally {
  readonly latency = new LatencyRecorder();
  readonly errors: ErrorCounts = zeroErrors();
  readonly statuses = new Uint32Array(1000);
  requests = 0;
  ok = 0;

  constructor(readonly name: string) {}
}

/**
 * What one measured run counted: outcomes by kind, statuses, and three latency histograms. The
 * engine writes into it on every outcome, so it is flat and allocation-free.
 *
 * Only requests intended at or after `fromUs` count: a warm-up is the same run with an earlier
 * tally, so there is no separate warm-up loop.
 */
export class Tally {
  /** Closed loop: from the send; open loop: from the intended send time (coordinated-omission corrected). */
  readonly latency = new LatencyRecorder();
  /**
   * Open loop: from the moment the engine took the request, what a closed-loop tool would report.
   * Not recorded in a closed loop, where each request is taken when it is meant to go: it would be
   * `latency` again, at the cost of a second record per response.
   */
  readonly service = new LatencyRecorder();
  /** Open loop: how late a request was sent although a connection was free. The floor of our accuracy. */
  readonly lag = new LatencyRecorder();
  readonly errors: ErrorCounts = zeroErrors();
  readonly statuses = new Uint32Array(1000);
  ok = 0;
  /** Outcomes known: ok + errors of every kind. */
  requests = 0;
  sent = 0;
  dropped = 0;
  /** Completions up to `windowEndUs`: the achieved rate of an open-loop window. */
  completedInWindow = 0;
  firstSendUs = Number.POSITIVE_INFINITY;
  lastCompletionUs = 0;
  /** Requests sent a second time because the server closed their connection as they were written (see engine.ts). */
  retried = 0;
  /** Parse errors by the parser's reason (constant strings): why responses were not HTTP. */
  readonly parseErrors = new Map<string, number>();
  /** A connect failed with EMFILE: the user must raise `ulimit -n`. */
  outOfFileDescriptors = false;
  /** Per group of targets, by index; null for one fixed request. */
  readonly byTarget: TargetTally[] | null;
  readonly checkNames: readonly string[];
  readonly generator: Generator;
  /** Per response check (bit c of a failure mask is check c): responses that met it, and not. */
  readonly checksPassed: Float64Array;
  readonly checksFailed: Float64Array;
  /** A script's check(response) verdicts; null without one. */
  readonly scriptChecks: ScriptCheckCounts | null;

  /** An open loop's tally: it also records service time, and counts completions in its window. */
  readonly open: boolean;

  /** A window end makes it an open loop's tally. */
  constructor(
    readonly fromUs: number,
    readonly windowEndUs = Number.POSITIVE_INFINITY,
    shape: TallyShape = NO_EXTRAS,
  ) {
    this.open = windowEndUs !== Number.POSITIVE_INFINITY;
    this.byTarget = shape.groups === null ? null : shape.groups.map((name) => new TargetTally(name));
    this.checkNames = shape.checks;
    this.generator = shape.generator;
    this.checksPassed = new Float64Array(shape.checks.length);
    this.checksFailed = new Float64Array(shape.checks.length);
    this.scriptChecks = shape.scriptCheck ? new ScriptCheckCounts() : null;
  }

  counts(intendedUs: number): boolean {
    return intendedUs >= this.fromUs;
  }

  onSend(intendedUs: number, sentUs: number): void {
    if (intendedUs < this.fromUs) return;
    this.sent++;
    if (sentUs < this.firstSendUs) this.firstSendUs = sentUs;
  }

  /**
   * A complete response. `verdict`: BY_STATUS (4xx and 5xx are errors, the rest ok), PASSED (ok
   * whatever the status: `--expect-status` allowed it) or FAILED_CHECK. `group`: its target's
   * group in `byTarget`, -1 for none.
   */
  onResponse(status: number, intendedUs: number, sentUs: number, nowUs: number, verdict = BY_STATUS, group = -1): void {
    if (intendedUs < this.fromUs) return;
    this.requests++;
    this.statuses[status < 1000 ? status : 999]!++;
    const latencyUs = nowUs - intendedUs;
    this.latency.record(latencyUs);
    this.lastCompletionUs = nowUs;
    if (this.open) {
      this.service.record(nowUs - sentUs);
      if (nowUs <= this.windowEndUs) this.completedInWindow++;
    }
    const kind = verdict === FAILED_CHECK ? "check" : verdict === PASSED ? null : status >= 500 ? "status_5xx" : status >= 400 ? "status_4xx" : null;
    if (kind === null) this.ok++;
    else this.errors[kind]++;
    if (group >= 0 && this.byTarget !== null) {
      const target = this.byTarget[group]!;
      target.requests++;
      if (kind === null) target.ok++;
      else target.errors[kind]++;
      target.statuses[status < 1000 ? status : 999]!++;
      target.latency.record(latencyUs);
    }
  }

  onError(kind: ErrorKind, intendedUs: number, nowUs: number, group = -1): void {
    if (intendedUs < this.fromUs) return;
    this.requests++;
    this.errors[kind]++;
    this.lastCompletionUs = nowUs;
    if (group >= 0 && this.byTarget !== null) {
      const target = this.byTarget[group]!;
      target.requests++;
      target.errors[kind]++;
    }
  }

  /** The response checks of one response: bit c of `failures` set when check c failed. */
  onChecks(failures: number, intendedUs: number): void {
    if (intendedUs < this.fromUs) return;
    for (let c = 0; c < this.checkNames.length; c++) {
      if ((failures >>> c) & 1) this.checksFailed[c]!++;
      else this.checksPassed[c]!++;
    }
  }

  /**
   * A script's check(response) on one response: null when it passed, else the failure's name
   * ("" for a plain false). A tally without checks (a warm-up's) counts none, as `onChecks`.
   */
  onScriptCheck(failure: string | null, intendedUs: number): void {
    if (this.scriptChecks !== null && intendedUs >= this.fromUs) this.scriptChecks.count(failure);
  }

  checkCounts(): Record<string, CheckCounts> {
    const counts = Object.fromEntries(this.checkNames.map((name, c) => [name, { passed: this.checksPassed[c]!, failed: this.checksFailed[c]! }]));
    return this.scriptChecks === null ? counts : { ...counts, ...this.scriptChecks.toJSON() };
  }

  /** A response that was not HTTP; `onError("parse")` counts the request, this says why. */
  onParseError(reason: string, intendedUs: number): void {
    if (intendedUs >= this.fromUs) this.parseErrors.set(reason, (this.parseErrors.get(reason) ?? 0) + 1);
  }

  onRetry(intendedUs: number): void {
    if (intendedUs >= this.fromUs) this.retried++;
  }

  onDrop(intendedUs: number): void {
    if (intendedUs >= this.fromUs) this.dropped++;
  }

  parseErrorCounts(): Record<string, number> {
    return Object.fromEntries(this.parseErrors);
  }

  statusCounts(): Record<string, number> {
    return statusCounts(this.statuses);
  }
}

export function statusCounts(statuses: Uint32Array): Record<string, number> {
  const counts: Record<string, number> = {};
  statuses.forEach((count, status) => {
    if (count > 0) counts[String(status)] = count;
  });
  return counts;
}
