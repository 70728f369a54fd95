import { LatencyRecorder } from "./histogram.ts";
import type { ErrorCounts, ErrorKind } from "./result.ts";
import { zeroErrors } from "./summary.ts";

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

  /** An open loop's tally: it also records service time, and counts completions in its window. */
  readonly open: boolean;

  /** A window end makes it an open loop's tally. */
  constructor(
    readonly fromUs: number,
    readonly windowEndUs = Number.POSITIVE_INFINITY,
  ) {
    this.open = windowEndUs !== Number.POSITIVE_INFINITY;
  }

  counts(intendedUs: number): boolean {
    return intendedUs >= this.fromUs;
  }

  onSend(intendedUs: number, sentUs: number): void {
    if (intendedUs < this.fromUs) return;
    this.sent++;
    if (sentUs < this.firstSendUs) this.firstSendUs = sentUs;
  }

  onResponse(status: number, intendedUs: number, sentUs: number, nowUs: number): void {
    if (intendedUs < this.fromUs) return;
    this.requests++;
    this.statuses[status < 1000 ? status : 999]!++;
    if (status >= 500) this.errors.status_5xx++;
    else if (status >= 400) this.errors.status_4xx++;
    else this.ok++;
    this.latency.record(nowUs - intendedUs);
    this.lastCompletionUs = nowUs;
    if (this.open) {
      this.service.record(nowUs - sentUs);
      if (nowUs <= this.windowEndUs) this.completedInWindow++;
    }
  }

  onError(kind: ErrorKind, intendedUs: number, nowUs: number): void {
    if (intendedUs < this.fromUs) return;
    this.requests++;
    this.errors[kind]++;
    this.lastCompletionUs = nowUs;
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
    const counts: Record<string, number> = {};
    this.statuses.forEach((count, status) => {
      if (count > 0) counts[String(status)] = count;
    });
    return counts;
  }
}
