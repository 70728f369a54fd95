import { nowUs } from "../client/clock.ts";
import { IntervalCutter, type Timeline } from "../stats/intervals.ts";
import { IntervalSpill } from "./interval-spill.ts";
import type { Interval } from "../stats/result.ts";
import type { Tally } from "../stats/tally.ts";

/** What a run records over time, and who hears of each interval as it ends. */
export interface IntervalRecording {
  intervalS: number;
  /**
   * Whether the run's result carries its intervals (the default); false when only the live view
   * and the interval logs want them, which hear of each as it ends: then none is kept.
   */
  keep?: boolean;
  /** Called on the recording thread as each interval ends, the last (shorter) one included. */
  onInterval?(interval: Interval, repeat: number, startedAtMs: number): void;
}

/**
 * Wall-clock milliseconds of a monotonic microsecond time. Computed on the thread that measured
 * `us`: each Worker counts `Bun.nanoseconds()` from its own start, the wall clock is shared.
 */
export const epochMsAt = (us: number): number => performance.timeOrigin + performance.now() - (nowUs() - us) / 1000;

/**
 * Cuts a run's tally into intervals from a timer: boundaries on a grid from the run's start (no
 * drift), each interval ending when its timer actually fires (so the intervals tile the run with
 * no gap and no overlap, whatever the timer's lateness). A timer late by more than one interval
 * cuts once: one longer interval, not several empty ones.
 */
export class IntervalTimer {
  private readonly cutter: IntervalCutter;
  /** Where the intervals wait for the run's result, out of memory; null when the result does not carry them. */
  private readonly kept: IntervalSpill | null;
  private readonly intervalUs: number;
  private index = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private startUs = 0;
  private startedAtMs = 0;
  private lastCutUs = 0;

  constructor(
    tally: Tally,
    private readonly recording: IntervalRecording,
    private readonly repeat: number,
  ) {
    this.cutter = new IntervalCutter(tally);
    this.kept = recording.keep === false ? null : new IntervalSpill();
    this.intervalUs = recording.intervalS * 1e6;
  }

  /** Starts the first interval at `startUs` (now, or the start of a window still ahead). */
  start(startUs: number): void {
    this.startUs = this.lastCutUs = startUs;
    this.cutter.start(startUs);
    this.startedAtMs = epochMsAt(startUs);
    this.schedule();
  }

  /**
   * Cuts the last interval, ending at `endUs` (the run's last outcome; never before the last cut),
   * and stops: the run's timeline, or null when its intervals are not kept.
   */
  finish(endUs: number): Timeline | null {
    clearTimeout(this.timer);
    this.cutAt(Math.max(endUs, this.lastCutUs));
    return this.kept && { startedAtMs: this.startedAtMs, intervals: this.kept.readAll() };
  }

  /** Stops without a last interval: the run measured nothing. */
  cancel(): void {
    clearTimeout(this.timer);
    this.kept?.discard();
  }

  private schedule(): void {
    const dueUs = this.startUs + (this.index + 1) * this.intervalUs;
    this.timer = setTimeout(() => {
      const now = nowUs();
      // Timers round to milliseconds and may fire a fraction early: an interval never ends before its boundary.
      if (now < dueUs) return this.schedule();
      this.index = Math.max(this.index + 1, Math.floor((now - this.startUs) / this.intervalUs));
      this.cutAt(now);
      this.schedule();
    }, Math.max(0, (dueUs - nowUs()) / 1000));
  }

  private cutAt(now: number): void {
    this.lastCutUs = now;
    const interval = this.cutter.cut(now);
    this.kept?.add(interval);
    this.recording.onInterval?.(interval, this.repeat, this.startedAtMs);
  }
}
