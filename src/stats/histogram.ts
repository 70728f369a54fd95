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

/**
 * Records latencies in integer microseconds. Never throws on a bad value: a negative, NaN or
 * too-large latency is a measurement anomaly to report (`outOfRangeCount`), not a reason to
 * lose the run.
 */
export class LatencyRecorder {
  readonly histogram: Histogram = createLatencyHistogram();
  /** Values that were clamped (negative or NaN → 0, above one hour → one hour) before recording. */
  outOfRangeCount = 0;

  /** Hot path (hundreds of thousands of calls per second): one floor, one range test. */
  record(latencyUs: number): void {
    const flooredUs = Math.floor(latencyUs);
    // Written so NaN fails the test too: `!(NaN >= 0)` is true.
    if (flooredUs >= 0 && flooredUs <= HIGHEST_TRACKABLE_US) {
      this.histogram.recordValue(flooredUs);
      return;
    }
    this.outOfRangeCount++;
    this.histogram.recordValue(flooredUs > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : 0);
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
