import { describe, expect, test } from "bun:test";
import { UsageError } from "../src/errors.ts";
import { formatCount, formatLatency, formatMs, formatPercent, parseCount, parseDurationS, parseMs, parsePort, parseSize } from "../src/units.ts";

describe("parsers name the flag and say what they expected", () => {
  test("counts: plain, k and m suffixes, whole numbers only, the range enforced", () => {
    expect(parseCount("-n", "200")).toBe(200);
    expect(parseCount("-n", "5k")).toBe(5000);
    expect(parseCount("-n", "1.5k")).toBe(1500);
    expect(parseCount("-n", "2M")).toBe(2_000_000);
    expect(() => parseCount("-n", "0")).toThrow('-n: expected a positive integer, got "0"');
    expect(() => parseCount("-n", "1.5")).toThrow(UsageError);
    expect(() => parseCount("-n", "many")).toThrow('-n: expected a positive integer, got "many"');
    expect(parseCount("--warmup", "0", { min: 0 })).toBe(0);
    expect(() => parseCount("--pipeline", "2000", { min: 1, max: 1024 })).toThrow('--pipeline: expected an integer from 1 to 1024, got "2000"');
  });

  test("sizes are binary: 16k is 16 KiB", () => {
    expect(parseSize("--body-size", "16k")).toBe(16 * 1024);
    expect(parseSize("--body-size", "1MiB")).toBe(1 << 20);
    expect(() => parseSize("--body-size", "1q")).toThrow("--body-size: expected a non-negative size in bytes");
  });

  test("durations in seconds from s, ms, m, h or a plain number", () => {
    expect(parseDurationS("-d", "15")).toBe(15);
    expect(parseDurationS("-d", "1.5s")).toBe(1.5);
    expect(parseDurationS("-d", "500ms")).toBe(0.5);
    expect(parseDurationS("-d", "2m")).toBe(120);
    expect(() => parseDurationS("-d", "-1")).toThrow('-d: expected a non-negative duration (e.g. 15, 15s, 500ms, 2m), got "-1"');
  });

  test("milliseconds are plain numbers; ports include 0", () => {
    expect(parseMs("--timeout", "250")).toBe(250);
    expect(parseMs("--timeout", "0.5")).toBe(0.5);
    expect(() => parseMs("--timeout", "1s")).toThrow("--timeout: expected a non-negative number of milliseconds");
    expect(parsePort("--port", "0")).toBe(0);
    expect(() => parsePort("--port", "65536")).toThrow("--port: expected an integer from 0 to 65535");
  });
});

describe("one formatter per kind of number", () => {
  test("counts: rounded, with thousands separators", () => {
    expect(formatCount(238_890.4)).toBe("238,890");
    expect(formatCount(0)).toBe("0");
  });

  test("milliseconds: about three significant digits, whole from 100 on, never an exponent", () => {
    expect([0.0004, 0.765, 0.9996, 1.234, 9.996, 12.34, 99.96, 123.4, 1234.4].map(formatMs)).toEqual(["0.000", "0.765", "1.00", "1.23", "10.0", "12.3", "100", "123", "1,234"]);
    expect(formatMs(Number.NaN)).toBe("—");
  });

  test("a latency in words carries its unit, seconds from ten seconds on", () => {
    expect(formatLatency(1.234)).toBe("1.23 ms");
    expect(formatLatency(9_999)).toBe("9,999 ms");
    expect(formatLatency(12_345)).toBe("12.3 s");
  });

  test("percentages: one decimal under 10%, whole above", () => {
    expect(formatPercent(0.006)).toBe("0.6%");
    expect(formatPercent(0.081)).toBe("8.1%");
    expect(formatPercent(0.41)).toBe("41%");
  });
});
