/**
 * A run over time: its tally cut into intervals, and the intervals of runs measured together
 * (threads, machines) added into one timeline. Every count and every histogram value of a run lands
 * in exactly one of its intervals, so the intervals add up to the whole run exactly.
 */
import { decodeHistogram, encodeHistogram, LatencyRecorder, mergeHistograms, valuesAtPercentiles } from "./histogram.ts";
import { countsLatencyMs, encodeCounts } from "./interval-counts.ts";
import type { Histogram } from "./histogram.ts";
import { ERROR_KINDS } from "./result.ts";
import type { ErrorCounts, Interval, LatencyMs } from "./result.ts";
import { addErrors, answered, zeroErrors } from "./summary.ts";
import type { Tally } from "./tally.ts";

/**
 * Cuts a tally into intervals. The tally's counters only ever grow, so an interval's counts are
 * the difference from the previous cut; its histograms are moved out of the recorders (`cut`).
 * Nothing here runs on the hot path: a timer calls `cut` once per interval.
 */
export class IntervalCutter {
  /** Monotonic µs of the run's start: the zero of `startS`. */
  private startUs = 0;
  private lastCutUs = 0;
  private readonly previous = { sent: 0, requests: 0, ok: 0, dropped: 0, retried: 0, errors: zeroErrors() };
  private readonly previousStatuses = new Uint32Array(1000);

  constructor(private readonly tally: Tally) {
    warmUp();
  }

  /** Apart from the constructor, so that the allocations happen before the clock starts. */
  start(startUs: number): void {
    this.startUs = this.lastCutUs = startUs;
  }

  /** Ends the current interval at `nowUs` and returns it: the caller keeps it or not. */
  cut(nowUs: number): Interval {
    const tally = this.tally;
    const previous = this.previous;
    const errors = {} as ErrorCounts;
    for (const kind of ERROR_KINDS) errors[kind] = tally.errors[kind] - previous.errors[kind];
    const statuses: Record<string, number> = {};
    tally.statuses.forEach((count, status) => {
      const delta = count - this.previousStatuses[status]!;
      if (delta > 0) statuses[String(status)] = delta;
    });
    this.previousStatuses.set(tally.statuses);
    const latency = tally.latency.cut();
    const durationS = (nowUs - this.lastCutUs) / 1e6;
    const ok = tally.ok - previous.ok;
    const interval: Interval = {
      startS: (this.lastCutUs - this.startUs) / 1e6,
      durationS,
      sent: tally.sent - previous.sent,
      requests: tally.requests - previous.requests,
      ok,
      dropped: tally.dropped - previous.dropped,
      errors,
      retried: tally.retried - previous.retried,
      statuses,
      achievedRps: durationS > 0 ? answered({ ok, errors }) / durationS : 0,
      latencyMs: countsLatencyMs(latency),
      histogram: encodeCounts(latency),
    };
    if (tally.open) {
      const service = tally.service.cut();
      interval.serviceHistogram = encodeCounts(service);
      const lag = tally.lag.cut();
      interval.lagHistogram = encodeCounts(lag);
    }
    Object.assign(previous, { sent: tally.sent, requests: tally.requests, ok: tally.ok, dropped: tally.dropped, retried: tally.retried, errors: { ...tally.errors } });
    this.lastCutUs = nowUs;
    return interval;
  }
}

let warm = false;

/**
 * One cut of made-up counts, once per thread. A cut runs once a second, too rarely for the JIT to
 * compile it by itself, and zlib sets itself up on its first deflate: the first real cut of a run
 * would take several milliseconds of the load thread, interpreted. Paid here instead, before the
 * run's clock starts.
 */
function warmUp(): void {
  if (warm) return;
  warm = true;
  const recorder = new LatencyRecorder();
  for (let us = 1; us < 100_000; us = Math.ceil(us * 1.01)) recorder.record(us);
  const counts = recorder.cut();
  countsLatencyMs(counts);
  encodeCounts(counts);
}

/** `latencyMs` of the summaries, computed in one pass: the same numbers, at a fraction of the cost every interval. */
export function intervalLatencyMs(histogram: Histogram): LatencyMs {
  const { values, mean } = valuesAtPercentiles(histogram, [0, 50, 90, 99, 99.9, 100]);
  const [min, p50, p90, p99, p999, max] = values.map((us) => us / 1000) as [number, number, number, number, number, number];
  return { min, mean: mean / 1000, p50, p90, p99, p999, max };
}

/** A run's intervals with the moment they count from. */
export interface Timeline {
  startedAtMs: number;
  intervals: readonly Interval[];
}

/**
 * The timeline of runs measured at the same time (threads of one generator, or generators started
 * together with `--start-at`): intervals that cover the same stretch of time added exactly.
 *
 * Intervals are added index by index: the k-th of each. With `alignByTime` (generators on several
 * machines) a timeline is first shifted by the whole number of intervals nearest to its offset from
 * the earliest start (zero for generators started together with `--start-at`). Threads are not
 * shifted: they start their runs within a worker start-up of each other, and the live view has to
 * add their intervals as they come, by index. A merged interval spans from its earliest member's
 * start to its latest member's end; its rate is the sum of its members' rates, each measured over
 * its own span.
 */
export function mergeTimelines(timelines: readonly Timeline[], alignByTime = false): Timeline {
  const startedAtMs = Math.min(...timelines.map((timeline) => timeline.startedAtMs));
  const earliest = timelines.find((timeline) => timeline.startedAtMs === startedAtMs)!;
  const lengthS = typicalLengthS(earliest.intervals);
  const slots: { startMs: number; interval: Interval }[][] = [];
  for (const timeline of timelines) {
    const shift = alignByTime && lengthS > 0 ? Math.round((timeline.startedAtMs - startedAtMs) / 1000 / lengthS) : 0;
    timeline.intervals.forEach((interval, index) => {
      (slots[shift + index] ??= []).push({ startMs: timeline.startedAtMs + interval.startS * 1000, interval });
    });
  }
  const intervals = slots.filter((slot) => slot !== undefined).map((slot) => {
    const startMs = Math.min(...slot.map((member) => member.startMs));
    const endMs = Math.max(...slot.map((member) => member.startMs + member.interval.durationS * 1000));
    return { ...addIntervals(slot.map((member) => member.interval)), startS: (startMs - startedAtMs) / 1000, durationS: (endMs - startMs) / 1000 };
  });
  return { startedAtMs, intervals };
}

/** The median length: the last interval of a run is usually short, and timers can fire late. */
function typicalLengthS(intervals: readonly Interval[]): number {
  const lengths = intervals.map((interval) => interval.durationS).sort((a, b) => a - b);
  return lengths[lengths.length >> 1] ?? 0;
}

/** Counts and rates summed, histograms added; times are the caller's to set. */
function addIntervals(intervals: readonly Interval[]): Interval {
  const first = intervals[0]!;
  if (intervals.length === 1) return first;
  const sum = (pick: (interval: Interval) => number) => intervals.reduce((total, interval) => total + pick(interval), 0);
  const statuses: Record<string, number> = {};
  for (const interval of intervals) for (const [status, count] of Object.entries(interval.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  const latency = mergeEncoded(intervals.map((interval) => interval.histogram));
  const service = optionalMerge(intervals.map((interval) => interval.serviceHistogram));
  const lag = optionalMerge(intervals.map((interval) => interval.lagHistogram));
  return {
    startS: first.startS,
    durationS: first.durationS,
    sent: sum((interval) => interval.sent),
    requests: sum((interval) => interval.requests),
    ok: sum((interval) => interval.ok),
    dropped: sum((interval) => interval.dropped),
    errors: intervals.map((interval) => interval.errors).reduce(addErrors),
    retried: sum((interval) => interval.retried ?? 0),
    statuses,
    achievedRps: sum((interval) => interval.achievedRps),
    latencyMs: intervalLatencyMs(latency),
    histogram: encodeHistogram(latency),
    ...(service ? { serviceHistogram: encodeHistogram(service) } : {}),
    ...(lag ? { lagHistogram: encodeHistogram(lag) } : {}),
  };
}

const mergeEncoded = (encoded: readonly string[]): Histogram => mergeHistograms(encoded.map(decodeHistogram));

/** Merged only when every member has one: half a service-time histogram would mislead. */
function optionalMerge(encoded: readonly (string | undefined)[]): Histogram | null {
  return encoded.every((text) => text !== undefined) ? mergeEncoded(encoded as string[]) : null;
}
