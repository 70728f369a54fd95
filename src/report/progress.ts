import type { Tally } from "../stats/tally.ts";
import { totalErrors } from "../stats/summary.ts";
import { formatCount } from "../units.ts";

/**
 * A live status line on stderr while a run goes on: which repeat, elapsed time, current rate,
 * errors. It samples the tally from its own timer, so it costs the hot path nothing; it is only
 * drawn on a terminal.
 */
export class Progress {
  private tally: Tally | null = null;
  private label = "";
  private repeats = 1;
  private repeat = 0;
  private startedMs = performance.now();
  private lastRequests = 0;
  private lastMs = performance.now();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.timer = setInterval(() => this.draw(), 250);
  }

  static enabled(wanted: boolean, stream: NodeJS.WriteStream = process.stderr): boolean {
    return wanted && stream.isTTY === true;
  }

  /** A new step of the run (a sweep's next concurrency, a preset's next level). */
  begin(label: string, repeats: number): void {
    this.label = label;
    this.repeats = repeats;
    this.tally = null;
  }

  watch(tally: Tally, repeat: number): void {
    this.tally = tally;
    this.repeat = repeat;
    this.startedMs = this.lastMs = performance.now();
    this.lastRequests = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.stream.write("\r\x1b[2K");
  }

  private draw(): void {
    const tally = this.tally;
    if (tally === null) return;
    const now = performance.now();
    const rate = ((tally.requests - this.lastRequests) * 1000) / Math.max(1, now - this.lastMs);
    this.lastRequests = tally.requests;
    this.lastMs = now;
    const errors = totalErrors(tally.errors);
    const parts = [
      `${this.label} repeat ${this.repeat}/${this.repeats}`,
      `${((now - this.startedMs) / 1000).toFixed(1)} s`,
      `${formatCount(rate)} req/s`,
      `${formatCount(tally.requests)} done`,
      errors > 0 ? `${formatCount(errors)} errors` : "",
      tally.dropped > 0 ? `${formatCount(tally.dropped)} dropped` : "",
    ];
    this.stream.write(`\r\x1b[2K${parts.filter(Boolean).join("  ")}`);
  }
}
