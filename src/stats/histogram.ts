/**
 * Latency histograms: integer microseconds in HdrHistogram, moved between threads and machines
 * as compressed base64, merged exactly by adding counts.
 *
 * Pure JS histograms only. The WASM flavour is ~8 ns faster per record but needs an async
 * initialisation and an explicit destroy(), and a JS histogram cannot be added to a WASM one —
 * one kind everywhere keeps decode/merge trivially correct.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from "hdr-histogram-js";
import type { Histogram } from "hdr-histogram-js";

export type { Histogram };

/** One hour: no request we time can honestly take longer (timeouts are seconds). */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;
export const LOWEST_DISCERNIBLE_US = 1;
/** 3 digits: every recorded value is reported within 0.1% of itself. */
export const SIGNIFICANT_DIGITS = 3;

/**
 * A histogram with the one shape every minibench latency histogram has. Same shape means
 * `add` is a plain element-wise sum and equal data encodes to equal bytes.
 *
 * The counts width stays at the default 32 bits: 16-bit buckets silently overflow at a few
 * million samples. `autoResize` is off so the shape never drifts; the recorder clamps instead.
 */
export function createLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
  });
}

// The bucket layout of that shape (lowest 1 µs, 3 significant digits): 2048 sub-buckets, so values
// below 2048 µs each have their own count, and every doubling above gets 1024 more.
const SUB_BUCKET_BITS = 11;
const HALF_SUB_BUCKET_BITS = SUB_BUCKET_BITS - 1;
const countsIndex = (us: number): number => {
  const bucket = Math.max(0, 32 - SUB_BUCKET_BITS - Math.clz32(us));
  return (bucket << HALF_SUB_BUCKET_BITS) + (us >>> bucket);
};
/** The lowest value of the sub-bucket at `index`: one that HdrHistogram records at the same index. */
export const valueAtIndex = (index: number): number => {
  if (index < 1 << SUB_BUCKET_BITS) return index;
  const bucket = (index >> HALF_SUB_BUCKET_BITS) - 1;
  return (index - (bucket << HALF_SUB_BUCKET_BITS)) * 2 ** bucket;
};

/** How many values the sub-bucket at `index` holds: 1 µs below 2048 µs, then doubling with each bucket. */
export const rangeAtIndex = (index: number): number => (index < 1 << SUB_BUCKET_BITS ? 1 : 2 ** ((index >> HALF_SUB_BUCKET_BITS) - 1));

/**
 * One interval of a recorder, in HdrHistogram's counts layout (`counts[0..length)`, nothing above
 * `length`): what the interval summaries and encodings read, without a histogram built for it.
 */
export interface IntervalCounts {
  counts: Uint32Array;
  length: number;
  total: number;
}

/**
 * Records latencies in integer microseconds. Never throws on a bad value: a negative, NaN or
 * too-large latency is a measurement anomaly to report (`outOfRangeCount`), not a reason to
 * lose the run.
 *
 * The hot path counts into its own array laid out as HdrHistogram's, with integer arithmetic:
 * HdrHistogram's own recordValue finds the bucket with a logarithm and two powers, several times
 * the cost. The counts move into the histogram when it is read, exactly as if each value had been
 * recorded there (minimum and maximum included).
 *
 * A run recorded in intervals moves its counts out at each cut into `whole`, a plain array added to
 * in one loop; the histogram is still built once, when it is read after the run, as it is without
 * intervals, so cutting costs the run no work in hdr-histogram-js.
 */
export class LatencyRecorder {
  /** Made when first read: a recorder nobody reads (service time in a closed loop) costs only its counts. */
  private target: Histogram | null = null;
  private readonly counts = new Uint32Array(countsIndex(HIGHEST_TRACKABLE_US) + 1);
  // What `counts` holds: how many values, and their exact extremes. Fields of their own, read on the hot path.
  private pending = 0;
  private maxUs = 0;
  private minNonZeroUs = Number.POSITIVE_INFINITY;
  /** Counts of the intervals cut so far that are not in `target` yet; made at the first cut. */
  private whole: Float64Array | null = null;
  private readonly wholeExtremes = new Extremes();
  private interval: IntervalCounts | null = null;
  /** Values that were clamped (negative or NaN → 0, above one hour → one hour) before recording. */
  outOfRangeCount = 0;

  /** Hot path (hundreds of thousands of calls per second): one floor, one range test, one count. */
  record(latencyUs: number): void {
    let us = Math.floor(latencyUs);
    // Written so NaN fails the test too: `!(NaN >= 0)` is true.
    if (!(us >= 0 && us <= HIGHEST_TRACKABLE_US)) {
      this.outOfRangeCount++;
      us = us > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : 0;
    }
    this.counts[countsIndex(us)]!++;
    if (us > this.maxUs) this.maxUs = us;
    if (us < this.minNonZeroUs && us > 0) this.minNonZeroUs = us;
    this.pending++;
  }

  /** Everything recorded so far. */
  get histogram(): Histogram {
    const target = (this.target ??= createLatencyHistogram());
    if (this.pending > 0) {
      flushInto(target, this.counts, this.maxUs, this.minNonZeroUs);
      this.clearPending();
    }
    const { whole, wholeExtremes } = this;
    if (whole !== null && wholeExtremes.total > 0) {
      flushInto(target, whole, wholeExtremes.maxUs, wholeExtremes.minNonZeroUs);
      wholeExtremes.clear();
    }
    return target;
  }

  /**
   * Ends an interval: the counts recorded since the last cut are copied out (valid until the next
   * cut) and added to the run's whole, so a run's intervals add up exactly to it. The caller reads
   * the interval from the copy without building a histogram.
   *
   * No second buffer is needed to keep recording during the cut: a thread runs one callback at a
   * time, so nothing is recorded between the first and the last count moved.
   */
  cut(): IntervalCounts {
    const counts = this.counts;
    const interval = (this.interval ??= { counts: new Uint32Array(counts.length), length: 0, total: 0 });
    const whole = (this.whole ??= new Float64Array(counts.length));
    const length = this.pending > 0 ? countsIndex(this.maxUs) + 1 : 0;
    interval.counts.set(counts.subarray(0, length));
    interval.length = length;
    interval.total = this.pending;
    for (let index = 0; index < length; index++) whole[index]! += counts[index]!;
    counts.fill(0, 0, length);
    this.wholeExtremes.add(this.pending, this.maxUs, this.minNonZeroUs);
    this.clearPending();
    return interval;
  }

  private clearPending(): void {
    this.pending = 0;
    this.maxUs = 0;
    this.minNonZeroUs = Number.POSITIVE_INFINITY;
  }
}

/** What a block of counts holds beyond the counts: how many, and its exact extremes. */
class Extremes {
  total = 0;
  maxUs = 0;
  minNonZeroUs = Number.POSITIVE_INFINITY;

  add(total: number, maxUs: number, minNonZeroUs: number): void {
    this.total += total;
    if (maxUs > this.maxUs) this.maxUs = maxUs;
    if (minNonZeroUs < this.minNonZeroUs) this.minNonZeroUs = minNonZeroUs;
  }

  clear(): void {
    this.total = 0;
    this.maxUs = 0;
    this.minNonZeroUs = Number.POSITIVE_INFINITY;
  }
}

/** Moves `counts` (cleared on the way) into `target`, each at its sub-bucket; the exact extremes keep min and max exact. */
function flushInto(target: Histogram, counts: Uint32Array | Float64Array, maxUs: number, minNonZeroUs: number): void {
  // Nothing lies above the largest value: the scan stops there.
  const maxIndex = countsIndex(maxUs);
  const minIndex = minNonZeroUs === Number.POSITIVE_INFINITY ? -1 : countsIndex(minNonZeroUs);
  for (let index = 0; index <= maxIndex; index++) {
    const count = counts[index]!;
    if (count === 0) continue;
    counts[index] = 0;
    if (index === minIndex && index === maxIndex) {
      target.recordValueWithCount(minNonZeroUs, 1);
      target.recordValueWithCount(maxUs, count - 1);
    } else {
      target.recordValueWithCount(index === maxIndex ? maxUs : index === minIndex ? minNonZeroUs : valueAtIndex(index), count);
    }
  }
}

/** HdrHistogram V2 compressed base64 — the interchange format other HdrHistogram tools read. */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** Inverse of `encodeHistogram`. Throws on text that is not an encoded histogram. */
export function decodeHistogram(encoded: string): Histogram {
  // Always decode into the JS, 32-bit-count kind so the result can be added to any other.
  return decodeFromCompressedBase64(encoded, 32, false);
}

/**
 * The exact sum of the histograms: every count added, nothing resampled. An empty list gives an
 * empty histogram. Inputs are left untouched.
 */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const merged = createLatencyHistogram();
  // Histograms written by other tools may cover a wider range than ours; growing the result is
  // better than refusing to merge them. Ours never trigger a resize, so the shape is kept.
  merged.autoResize = true;
  for (const histogram of histograms) merged.add(histogram);
  merged.autoResize = false;
  return merged;
}

/**
 * The standard HdrHistogram percentile distribution (`.hgrm`) in milliseconds: 5 ticks per
 * half distance, µs scaled by 1000 — the layout HdrHistogram's plotters read.
 */
export function hgrm(histogram: Histogram): string {
  return histogram.outputPercentileDistribution(5, 1000);
}

/** What `valuesAtPercentiles` reads of a JS histogram, beyond the public Histogram interface. */
interface CountsView {
  totalCount: number;
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  lowestEquivalentValue(value: number): number;
  highestEquivalentValue(value: number): number;
  medianEquivalentValue(value: number): number;
}

/** hdr-histogram-js's `ulp`: the gap between `x` and the next larger double. */
const ulp = (x: number) => 2 ** (Math.floor(Math.log2(x)) - 52);

/**
 * The values at several percentiles (ascending) and the mean, in one pass over the counts: the
 * same numbers as `getValueAtPercentile` and `mean`, which scan the whole counts array once per
 * call. An interval summary asks for seven of them every interval; this is several times cheaper.
 */
export function valuesAtPercentiles(histogram: Histogram, percentiles: readonly number[]): { values: number[]; mean: number } {
  const view = histogram as unknown as CountsView;
  const total = view.totalCount;
  if (total === 0) return { values: percentiles.map(() => 0), mean: 0 };
  // As getValueAtPercentile rounds: up to a whole count, minding a one-ulp error of the product, at least 1.
  const targets = percentiles.map((percentile) => {
    const fp = (Math.min(percentile, 100) / 100) * total;
    return Math.max(Math.ceil(fp - ulp(fp)), 1);
  });
  const values = percentiles.map(() => 0);
  let next = 0;
  let cumulative = 0;
  let sum = 0;
  for (let index = 0; index < view.countsArrayLength && cumulative < total; index++) {
    const count = view.getCountAtIndex(index);
    if (count === 0) continue;
    cumulative += count;
    const value = view.valueFromIndex(index);
    sum += view.medianEquivalentValue(value) * count;
    for (; next < targets.length && cumulative >= targets[next]!; next++) {
      values[next] = percentiles[next] === 0 ? view.lowestEquivalentValue(value) : view.highestEquivalentValue(value);
    }
  }
  return { values, mean: sum / total };
}
