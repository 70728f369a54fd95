import { UsageError } from "../errors.ts";
import type { Random } from "./random.ts";

/**
 * Which target goes next, as integer arithmetic over tables built once (`--order`):
 *
 * - `roundrobin`: a fixed cycle in which each target appears `weight` times, spread out (target i's
 *   k-th turn is due at (k + ½) / weightᵢ of the cycle), so any whole number of cycles gives exact
 *   counts. Without weights, just the next index.
 * - `random`: independent draws from the seeded PRNG; with weights through Vose's alias table
 *   (one draw: its integer part picks a column, its fraction tosses that column's coin).
 * - `once`: one cycle of `roundrobin`, then no more (-1): every target sent weight times.
 *
 * Threads share a cycle. In `once`, thread k of n takes its entries k, k + n, k + 2n…, so the
 * cycle is sent once across all of them. In `roundrobin` each walks the whole cycle from its own
 * place in it (k/n of the way), so each keeps the weights' proportions and whole cycles stay exact.
 */

export const ORDERS = ["roundrobin", "random", "once"] as const;
export type Order = (typeof ORDERS)[number];

/** Entries of the roundrobin cycle (4 bytes each) at most: the sum of the weights. */
export const MAX_CYCLE = 1 << 24;

export interface Picker {
  /** The index of the next target, or -1 when an `once` run has sent them all. */
  next(): number;
}

export function makePicker(weights: Uint32Array, order: Order, random: Random, thread = 0, threads = 1): Picker {
  const uniform = weights.every((weight) => weight === 1);
  if (order === "random") return uniform ? new UniformPicker(weights.length, random) : new AliasPicker(weights, random);
  const cycle = uniform ? null : roundRobinCycle(weights);
  const length = cycle === null ? weights.length : cycle.length;
  return order === "once" ? new CyclePicker(cycle, length, true, thread, threads) : new CyclePicker(cycle, length, false, Math.floor((thread * length) / threads), 1);
}

/** Walks the cycle (or the indices in order), `step` entries at a time: round and round, or once and then -1. */
class CyclePicker implements Picker {
  private i: number;

  constructor(
    private readonly cycle: Uint32Array | null,
    private readonly length: number,
    private readonly once: boolean,
    first: number,
    private readonly step: number,
  ) {
    this.i = Math.min(first, length);
  }

  next(): number {
    const i = this.i;
    if (i === this.length) return -1;
    const next = i + this.step;
    this.i = next < this.length ? next : this.once ? this.length : next % this.length;
    return this.cycle === null ? i : this.cycle[i]!;
  }
}

class UniformPicker implements Picker {
  constructor(
    private readonly count: number,
    private readonly random: Random,
  ) {}

  next(): number {
    return Math.floor(this.random.nextFloat() * this.count);
  }
}

/** Vose's alias method: O(n) to build, O(1) per pick whatever the weights. */
class AliasPicker implements Picker {
  private readonly probability: Float64Array;
  private readonly alias: Uint32Array;

  constructor(
    weights: Uint32Array,
    private readonly random: Random,
  ) {
    const n = weights.length;
    let total = 0;
    for (const weight of weights) total += weight;
    this.probability = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const scaled = Float64Array.from(weights, (weight) => (weight * n) / total);
    const small = new Uint32Array(n);
    const large = new Uint32Array(n);
    let smalls = 0;
    let larges = 0;
    for (let i = 0; i < n; i++) {
      if (scaled[i]! < 1) small[smalls++] = i;
      else large[larges++] = i;
    }
    while (smalls > 0 && larges > 0) {
      const less = small[--smalls]!;
      const more = large[--larges]!;
      this.probability[less] = scaled[less]!;
      this.alias[less] = more;
      scaled[more] = scaled[more]! + scaled[less]! - 1;
      if (scaled[more]! < 1) small[smalls++] = more;
      else large[larges++] = more;
    }
    // What is left is 1 up to rounding: those columns always pick themselves.
    while (larges > 0) this.probability[large[--larges]!] = 1;
    while (smalls > 0) this.probability[small[--smalls]!] = 1;
  }

  next(): number {
    const u = this.random.nextFloat() * this.probability.length;
    const column = Math.floor(u);
    return u - column < this.probability[column]! ? column : this.alias[column]!;
  }
}

/** The spread-out weighted cycle: repeatedly the target whose next turn is due earliest (ties: lower index). */
export function roundRobinCycle(weights: Uint32Array): Uint32Array {
  let total = 0;
  for (const weight of weights) total += weight;
  if (total > MAX_CYCLE) {
    throw new UsageError(
      `--order: the weights add up to ${total.toLocaleString("en-US")}; roundrobin and once keep a cycle of that many entries, at most ${MAX_CYCLE.toLocaleString("en-US")}: use smaller weights or --order random`,
    );
  }
  const n = weights.length;
  const turns = new Uint32Array(n);
  const due = (i: number) => (turns[i]! + 0.5) / weights[i]!;
  const before = (i: number, j: number) => due(i) < due(j) || (due(i) === due(j) && i < j);
  const heap = Uint32Array.from({ length: n }, (_, i) => i);
  const siftDown = (from: number) => {
    for (let at = from; ; ) {
      const left = 2 * at + 1;
      if (left >= n) return;
      const child = left + 1 < n && before(heap[left + 1]!, heap[left]!) ? left + 1 : left;
      if (!before(heap[child]!, heap[at]!)) return;
      [heap[at], heap[child]] = [heap[child]!, heap[at]!];
      at = child;
    }
  };
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(i);
  const cycle = new Uint32Array(total);
  for (let k = 0; k < total; k++) {
    const i = heap[0]!;
    cycle[k] = i;
    turns[i] = turns[i]! + 1;
    // A target past its last turn sinks for good: its due time is above 1, every other's below.
    siftDown(0);
  }
  return cycle;
}
