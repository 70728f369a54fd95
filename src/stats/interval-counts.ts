/**
 * An interval's summary and encoding read straight from its counts (see `IntervalCounts`), each in
 * one pass: no histogram object is built and nothing is decoded again. These run on the load thread
 * at every interval boundary, so they are kept to tight loops over a typed array and native zlib
 * and base64 — cheap from the first interval on, before any JIT has warmed up, where the general
 * path through hdr-histogram-js took tens of milliseconds at a run's start.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { HIGHEST_TRACKABLE_US, LOWEST_DISCERNIBLE_US, rangeAtIndex, SIGNIFICANT_DIGITS, valueAtIndex, type IntervalCounts } from "./histogram.ts";
import type { LatencyMs } from "./result.ts";

/** `latencyMs` of the summaries (min, mean, p50, p90, p99, p99.9, max), the same numbers as from a histogram of these counts. */
export function countsLatencyMs({ counts, length, total }: IntervalCounts): LatencyMs {
  const percentiles = [0, 50, 90, 99, 99.9, 100];
  const values = percentiles.map(() => 0);
  if (total === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  // As HdrHistogram's getValueAtPercentile rounds: up to a whole count, minding a one-ulp error of the product, at least 1.
  const targets = percentiles.map((percentile) => {
    const fp = (percentile / 100) * total;
    return Math.max(Math.ceil(fp - 2 ** (Math.floor(Math.log2(fp)) - 52)), 1);
  });
  let next = 0;
  let cumulative = 0;
  let sum = 0;
  for (let index = 0; index < length; index++) {
    const count = counts[index]!;
    if (count === 0) continue;
    cumulative += count;
    const lowUs = valueAtIndex(index);
    const rangeUs = rangeAtIndex(index);
    sum += (lowUs + Math.floor(rangeUs / 2)) * count;
    // The minimum is the lowest value of its sub-bucket, every percentile above it the highest.
    for (; next < targets.length && cumulative >= targets[next]!; next++) values[next] = next === 0 ? lowUs : lowUs + rangeUs - 1;
  }
  const [min, p50, p90, p99, p999, max] = values.map((us) => us / 1000) as [number, number, number, number, number, number];
  return { min, mean: sum / total / 1000, p50, p90, p99, p999, max };
}


// HdrHistogram's V2 encoding, as hdr-histogram-js writes it (so the bytes are the same as its
// encodeIntoCompressedBase64 of a histogram with these counts).
const ENCODING_COOKIE = 0x1c849303 | 0x10;
const COMPRESSED_ENCODING_COOKIE = 0x1c849304 | 0x10;
const HEADER_BYTES = 40;
/** A ZigZag LEB128 word of a 32-bit count or a run of zeros takes at most 5 bytes. */
const MAX_WORD_BYTES = 5;

/** Reused from one interval to the next: deflate copies what it reads. */
let scratch = new Uint8Array(0);

/**
 * The counts as HdrHistogram's compressed V2 base64 (what `encodeHistogram` gives for a histogram
 * holding them): the header, the counts as ZigZag LEB128 words with runs of zeros as one negative
 * word, deflated, behind the compressed cookie and length.
 */
export function encodeCounts({ counts, length }: IntervalCounts): string {
  if (scratch.length < HEADER_BYTES + Math.max(length, 1) * MAX_WORD_BYTES) scratch = new Uint8Array(HEADER_BYTES + Math.max(length, 1) * MAX_WORD_BYTES);
  const bytes = scratch;
  const view = new DataView(bytes.buffer);
  let at = HEADER_BYTES;
  const word = (value: number) => {
    let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    while (zigzag >= 0x80) {
      bytes[at++] = (zigzag % 0x80) | 0x80;
      zigzag = Math.floor(zigzag / 0x80);
    }
    bytes[at++] = zigzag;
  };
  for (let index = 0; index < length; ) {
    const count = counts[index++]!;
    if (count !== 0) {
      word(count);
      continue;
    }
    let zeros = 1;
    while (index < length && counts[index] === 0) {
      zeros++;
      index++;
    }
    word(zeros > 1 ? -zeros : 0);
  }
  // An empty histogram is written as one zero count, as HdrHistogram does.
  if (length === 0) word(0);
  view.setInt32(0, ENCODING_COOKIE);
  view.setInt32(4, at - HEADER_BYTES);
  view.setInt32(8, 1); // hdr-histogram-js's normalizing index offset field
  view.setInt32(12, SIGNIFICANT_DIGITS);
  view.setBigInt64(16, BigInt(LOWEST_DISCERNIBLE_US));
  view.setBigInt64(24, BigInt(HIGHEST_TRACKABLE_US));
  view.setBigInt64(32, 1n); // the integer-to-double conversion ratio, as hdr-histogram-js writes it
  const deflated = deflateSync(bytes.subarray(0, at));
  const out = Buffer.allocUnsafe(8 + deflated.byteLength);
  out.writeInt32BE(COMPRESSED_ENCODING_COOKIE, 0);
  out.writeInt32BE(deflated.byteLength, 4);
  out.set(deflated, 8);
  return out.toString("base64");
}

/**
 * The largest value of an encoded histogram, as HdrHistogram reports it (the highest value of its
 * sub-bucket; 0 when empty), read from the words without building the histogram. Throws on text
 * that is not a compressed V2 histogram.
 */
export function encodedMaxUs(encoded: string): number {
  const compressed = Buffer.from(encoded, "base64");
  if ((compressed.readInt32BE(0) & ~0xf0) !== (COMPRESSED_ENCODING_COOKIE & ~0xf0)) throw new Error("not a compressed HdrHistogram V2 encoding");
  const bytes = inflateSync(compressed.subarray(8, 8 + compressed.readInt32BE(4)));
  const end = HEADER_BYTES + bytes.readInt32BE(4);
  let index = 0;
  let lastNonZero = -1;
  for (let at = HEADER_BYTES; at < end; ) {
    let zigzag = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const byte = bytes[at++]!;
      zigzag += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    const value = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    if (value < 0) index -= value;
    else {
      if (value > 0) lastNonZero = index;
      index++;
    }
  }
  return lastNonZero < 0 ? 0 : valueAtIndex(lastNonZero) + rangeAtIndex(lastNonZero) - 1;
}
