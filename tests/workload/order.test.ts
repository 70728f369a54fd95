import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { makePicker, MAX_CYCLE, roundRobinCycle, type Order } from "../../src/workload/order.ts";
import { Random } from "../../src/workload/random.ts";

function counts(weights: number[], order: Order, picks: number, seed = 1): number[] {
  const picker = makePicker(Uint32Array.from(weights), order, new Random(seed));
  const out = new Array(weights.length).fill(0);
  for (let i = 0; i < picks; i++) {
    const k = picker.next();
    if (k < 0) break;
    out[k]++;
  }
  return out;
}

describe("roundrobin", () => {
  test("without weights: 0, 1, …, n−1 and again", () => {
    const picker = makePicker(Uint32Array.from([1, 1, 1]), "roundrobin", new Random(1));
    expect(Array.from({ length: 7 }, () => picker.next())).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  test("weights 5:3:2 over 10,000 requests give exact counts", () => {
    expect(counts([5, 3, 2], "roundrobin", 10_000)).toEqual([5000, 3000, 2000]);
  });

  test("the weighted cycle is spread out, not in blocks", () => {
    expect(Array.from(roundRobinCycle(Uint32Array.from([5, 3, 2])))).toEqual([0, 1, 2, 0, 0, 1, 0, 2, 1, 0]);
    expect(Array.from(roundRobinCycle(Uint32Array.from([1, 3])))).toEqual([1, 0, 1, 1]);
  });

  test("every target appears exactly weight times per cycle, for many targets", () => {
    const weights = Uint32Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 13));
    const cycle = roundRobinCycle(weights);
    const seen = new Uint32Array(weights.length);
    for (const i of cycle) seen[i]!++;
    expect(Array.from(seen)).toEqual(Array.from(weights));
  });

  test("a cycle past the limit is refused with advice", () => {
    const weights = new Uint32Array(Math.ceil(MAX_CYCLE / 1_000_000)).fill(1_000_000);
    expect(() => roundRobinCycle(weights)).toThrow(UsageError);
    expect(() => roundRobinCycle(weights)).toThrow("use smaller weights or --order random");
  });
});

describe("random", () => {
  test("weights 5:3:2 over 10,000 requests with seed 1 match within 2%", () => {
    const [a, b, c] = counts([5, 3, 2], "random", 10_000, 1);
    expect(a! + b! + c!).toBe(10_000);
    expect(Math.abs(a! - 5000)).toBeLessThan(200);
    expect(Math.abs(b! - 3000)).toBeLessThan(200);
    expect(Math.abs(c! - 2000)).toBeLessThan(200);
  });

  test("the same seed picks the same sequence", () => {
    const sequence = (seed: number) => {
      const picker = makePicker(Uint32Array.from([5, 3, 2]), "random", new Random(seed));
      return Array.from({ length: 50 }, () => picker.next());
    };
    expect(sequence(9)).toEqual(sequence(9));
    expect(sequence(9)).not.toEqual(sequence(10));
  });

  test("the alias table follows skewed weights over many targets (χ² well under its 99.9% bound)", () => {
    const weights = Array.from({ length: 50 }, (_, i) => 1 + ((i * i) % 17) * 10);
    const total = weights.reduce((sum, w) => sum + w, 0);
    const picks = 500_000;
    const seen = counts(weights, "random", picks, 5);
    const chi2 = seen.reduce((sum, count, i) => sum + (count - (picks * weights[i]!) / total) ** 2 / ((picks * weights[i]!) / total), 0);
    // 49 degrees of freedom: the 99.9th percentile of χ² is about 85.
    expect(chi2).toBeLessThan(85);
  });

  test("uniform draws cover every target about equally", () => {
    const seen = counts(new Array(10).fill(1), "random", 100_000, 2);
    for (const count of seen) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe("once", () => {
  test("every target once, in order, then -1", () => {
    const picker = makePicker(Uint32Array.from([1, 1, 1]), "once", new Random(1));
    expect(Array.from({ length: 5 }, () => picker.next())).toEqual([0, 1, 2, -1, -1]);
  });

  test("with weights: each target weight times, then -1", () => {
    expect(counts([5, 3, 2], "once", 1000)).toEqual([5, 3, 2]);
  });
});
