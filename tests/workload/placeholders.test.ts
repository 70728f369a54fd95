import { describe, expect, test } from "bun:test";
import { expandPlaceholders, placeholderProblem, RAND, SEQ, UUID, writeRandomDigits, writeSeq, writeUuid } from "../../src/workload/placeholders.ts";
import { Random } from "../../src/workload/random.ts";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("placeholders are found once and replaced by fixed-width fillers", () => {
  test("positions, kinds and widths; unknown names and single braces are left as they are", () => {
    const patches: number[] = [];
    const out = expandPlaceholders("/u/{{seq}}?r={{rand:4}}&id={{uuid}}&n={{seq:3}}&k={{other}}&j={x}", 100, patches);
    expect(out).toBe("/u/0000000000?r=0000&id=00000000-0000-4000-8000-000000000000&n=000&k={{other}}&j={x}");
    expect(patches).toEqual([103, SEQ, 10, 116, RAND, 4, 124, UUID, 36, 163, SEQ, 3]);
  });

  test("text without placeholders comes back as it is, with no patches", () => {
    const patches: number[] = [];
    expect(expandPlaceholders("plain {text}", 0, patches)).toBe("plain {text}");
    expect(patches).toEqual([]);
  });

  test.each([
    ["{{seq:0}}", "expected {{seq:N}} with N from 1 to 15, got {{seq:0}}"],
    ["{{seq:16}}", "expected {{seq:N}} with N from 1 to 15, got {{seq:16}}"],
    ["{{rand}}", "expected {{rand:N}} with N from 1 to 64, got {{rand}}"],
    ["{{rand:65}}", "expected {{rand:N}} with N from 1 to 64, got {{rand:65}}"],
    ["{{rand:x}}", "expected {{rand:N}} with N from 1 to 64, got {{rand:x}}"],
    ["{{uuid:4}}", "expected {{uuid}} without a width, got {{uuid:4}}"],
  ])("%s is refused", (placeholder, message) => {
    expect(placeholderProblem(`a${placeholder}b`)).toBe(message);
  });
});

describe("the per-send writers overwrite exactly their width", () => {
  test("{{seq}}: zero-padded, modulo 10^width", () => {
    const bytes = new Uint8Array(Buffer.from("[0000000000]"));
    writeSeq(bytes, 1, 10, 42);
    expect(text(bytes)).toBe("[0000000042]");
    writeSeq(bytes, 1, 3, 123456);
    expect(text(bytes)).toBe("[4560000042]");
    writeSeq(bytes, 1, 10, 2 ** 40);
    expect(text(bytes)).toBe(`[${String(2 ** 40 % 1e10).padStart(10, "0")}]`);
  });

  test("{{rand:N}}: N decimal digits, each digit about equally often", () => {
    const random = new Random(7);
    const bytes = new Uint8Array(Buffer.from(`[${"0".repeat(20)}]`));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 5000; i++) {
      writeRandomDigits(bytes, 1, 20, random);
      const digits = text(bytes).slice(1, 21);
      expect(digits).toMatch(/^\d{20}$/);
      for (const d of digits) counts[Number(d)]++;
    }
    expect(text(bytes)[0]).toBe("[");
    expect(text(bytes)[21]).toBe("]");
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  test("{{uuid}}: version 4, variant 8–b, all distinct", () => {
    const random = new Random(1);
    const bytes = new Uint8Array(Buffer.from("00000000-0000-4000-8000-000000000000"));
    const seen = new Set<string>();
    const variants = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      writeUuid(bytes, 0, random);
      const uuid = text(bytes);
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(uuid);
      variants.add(uuid[19]!);
    }
    expect(seen.size).toBe(2000);
    expect([...variants].sort()).toEqual(["8", "9", "a", "b"]);
  });
});

describe("the seeded PRNG", () => {
  test("the same seed gives the same sequence; another seed another one", () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 5 }, () => random.nextU32());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  test("floats are in [0, 1) with a mean near one half", () => {
    const random = new Random(3);
    const draws = Array.from({ length: 100_000 }, () => random.nextFloat());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(Math.abs(draws.reduce((sum, x) => sum + x, 0) / draws.length - 0.5)).toBeLessThan(0.01);
  });
});
