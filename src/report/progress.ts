import type { ClosedRun, OpenRun } from "../config/plan.ts";
import type { Interval } from "../stats/result.ts";
import type { Tally } from "../stats/tally.ts";
import { totalErrors } from "../stats/summary.ts";
import { formatCount } from "../units.ts";

/**
 * Progress on stderr while a run goes on, never on stdout. On a terminal, one line redrawn four
 * times a second: step and repeat, elapsed of planned time and ETA, current rate, errors and
 * drops, and the last interval's p50/p99 with a sparkline of the recent p99s. It samples the tally
 * from its own timer, so it costs the hot path nothing. With `lines` (`--interval-lines`, for logs
 * and CI), one plain line per interval instead, terminal or not.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const SPARKS = "▁▂▃▄▅▆▇█";
/** Recent p99s drawn in the sparkline. */
const SPARK_INTERVALS = 20;

export class Progress {
  private tally: Tally | null = null;
  private step: ClosedRun | OpenRun | null = null;
  private label = "";
  private repeat = 0;
  private startedMs = 0;
  private lastRequests = 0;
  private lastMs = 0;
  private rateRps = 0;
  private readonly p99sMs: number[] = [];
  private lastInterval: Interval | null = null;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly lines = false,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!lines) this.timer = setInterval(() => this.draw(), 250);
  }

  /** A live line on a terminal; lines per interval when asked for; otherwise none. */
  static create(options: { progress: boolean; intervalLines: boolean; quiet: boolean }, stream: ProgressStream = process.stderr): Progress | null {
    if (options.quiet) return null;
    if (options.intervalLines) return new Progress(stream, true);
    return options.progress && stream.isTTY === true ? new Progress(stream) : null;
  }

  /** A new step of the run (a sweep's next concurrency, a preset's next level). */
  begin(label: string, step: ClosedRun | OpenRun): void {
    this.label = label;
    this.step = step;
    this.tally = null;
    this.startRepeat(1);
  }

  /** A repeat starts, counting into `tally` (on this thread: with `--threads` only intervals arrive). */
  watch(tally: Tally, repeat: number): void {
    this.tally = tally;
    this.startRepeat(repeat);
  }

  /** The interval of `repeat` that just ended. */
  interval(interval: Interval, repeat: number): void {
    if (repeat !== this.repeat) this.startRepeat(repeat);
    this.lastInterval = interval;
    this.p99sMs.push(interval.latencyMs.p99);
    if (this.p99sMs.length > SPARK_INTERVALS) this.p99sMs.shift();
    if (this.lines) this.stream.write(`${this.intervalLine(interval)}\n`);
  }

  private startRepeat(repeat: number): void {
    this.repeat = repeat;
    this.startedMs = this.lastMs = this.nowMs();
    this.lastRequests = 0;
    this.rateRps = 0;
    this.p99sMs.length = 0;
    this.lastInterval = null;
  }

  stop(): void {
    clearInterval(this.timer);
    if (!this.lines) this.stream.write("\r\x1b[2K");
  }

  /** What the tally counted so far; without one (other threads count), what the intervals said. */
  private draw(): void {
    if (this.step === null) return;
    const tally = this.tally;
    const last = this.lastInterval;
    const now = this.nowMs();
    if (tally && now - this.lastMs >= 200) {
      this.rateRps = ((tally.requests - this.lastRequests) * 1000) / (now - this.lastMs);
      this.lastRequests = tally.requests;
      this.lastMs = now;
    }
    const rateRps = tally ? this.rateRps : (last?.achievedRps ?? 0);
    const elapsedS = (now - this.startedMs) / 1000;
    const errors = tally ? totalErrors(tally.errors) : 0;
    const dropped = tally?.dropped ?? 0;
    const parts = [
      `${this.label} repeat ${this.repeat}/${this.step.repeat}`,
      this.timing(elapsedS, tally?.requests ?? 0),
      `${formatCount(rateRps)} req/s`,
      errors > 0 ? `${formatCount(errors)} errors` : "",
      dropped > 0 ? `${formatCount(dropped)} dropped` : "",
      last ? `p50 ${ms(last.latencyMs.p50)} p99 ${ms(last.latencyMs.p99)} ${sparkline(this.p99sMs)}` : "",
    ];
    this.stream.write(`\r\x1b[2K${parts.filter(Boolean).join("  ")}`);
  }

  /** Elapsed of the planned time of this repeat, and the time left for the whole step. */
  private timing(elapsedS: number, requests: number): string {
    const step = this.step;
    const repeatsLeft = step ? step.repeat - this.repeat : 0;
    let plannedS: number | null = null;
    if (step?.kind === "open") plannedS = step.durationS + (this.repeat === 1 ? step.warmupS : 0);
    else if (step?.durationS) plannedS = step.durationS;
    else if (step?.requests && requests > 0) plannedS = (elapsedS * step.requests) / requests;
    if (plannedS === null || step === null) return `${elapsedS.toFixed(1)} s`;
    const perRepeatS = step.kind === "open" ? step.durationS : plannedS;
    const etaS = Math.max(0, plannedS - elapsedS) + repeatsLeft * perRepeatS;
    const of = step.kind === "closed" && step.durationS === null ? `${formatCount(requests)}/${formatCount(step.requests ?? 0)}` : `${elapsedS.toFixed(1)}/${plannedS.toFixed(0)} s`;
    return `${of}  ETA ${etaS.toFixed(0)} s`;
  }

  private intervalLine(interval: Interval): string {
    const parts = [
      `${this.label} repeat ${this.repeat}/${this.step?.repeat ?? 1}`,
      `t=${(interval.startS + interval.durationS).toFixed(1)} s`,
      `${formatCount(interval.achievedRps)} req/s`,
      `p50 ${ms(interval.latencyMs.p50)}`,
      `p99 ${ms(interval.latencyMs.p99)}`,
      `max ${ms(interval.latencyMs.max)}`,
      `${formatCount(totalErrors(interval.errors))} errors`,
      interval.dropped > 0 ? `${formatCount(interval.dropped)} dropped` : "",
      interval.retried ? `${formatCount(interval.retried)} retried` : "",
    ];
    return parts.filter(Boolean).join("  ");
  }
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : formatCount(value)} ms`;

/** Each value as a block from ▁ to █, scaled to the largest. */
export function sparkline(values: readonly number[]): string {
  const top = Math.max(...values);
  if (!(top > 0)) return SPARKS[0]!.repeat(values.length);
  return values.map((value) => SPARKS[Math.min(SPARKS.length - 1, Math.floor((value / top) * (SPARKS.length - 1) + 0.5))]).join("");
}
