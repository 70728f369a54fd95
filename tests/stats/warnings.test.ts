import { describe, expect, test } from "bun:test";
import { Tally } from "../../src/stats/tally.ts";
import { measurementWarnings, MIN_SAMPLES_BEYOND, outOfRangeWarning, withWarnings } from "../../src/stats/warnings.ts";
import { run } from "../support/documents.ts";

describe("measurementWarnings", () => {
  const closed = (throughputRps: number, extra: object = {}) => ({ ...run({ phase: "closed", concurrency: 200, lowUs: 100, highUs: 900, throughputRps }), ...extra });

  test("a repeat shorter than a second says what it measured and what to do", () => {
    // 2,000 samples at 5,000 req/s: 0.4 s.
    const warnings = measurementWarnings(closed(5000));
    expect(warnings[0]).toBe("repeat 1 at concurrency 200 measured only 0.40 s: connection set-up and warm-up weigh in its numbers; run longer (e.g. -d 10s)");
  });

  test("2,000 latencies: p99.9 rests on 2 of them", () => {
    expect(measurementWarnings(closed(1000))).toEqual(["repeat 1 at concurrency 200 recorded 2,000 latencies: its p99.9 rests on 2 of them (10,000 give it 10)"]);
  });

  test("a repeat timed to last a second, its last response just before the end, is not called short", () => {
    expect(measurementWarnings(closed(1000, { ok: 10_000, durationS: 0.998 }))).toEqual([]);
  });

  test("enough latencies and long enough: nothing to say", () => {
    expect(measurementWarnings(closed(1000, { ok: 10_000 }))).toEqual([]);
  });

  test("too few even for p99: the lower percentile is named", () => {
    const few = closed(100, { ok: 900, durationS: 9 });
    expect(measurementWarnings(few)).toEqual([`repeat 1 at concurrency 200 recorded 900 latencies: its p99 rests on 9 of them (1,000 give it ${MIN_SAMPLES_BEYOND})`]);
  });

  test("an open-loop repeat is named by its rate; an interrupted one is not called short", () => {
    const open = { ...run({ phase: "open", concurrency: 50, targetRps: 20000, lowUs: 100, highUs: 900, throughputRps: 20000 }), ok: 20_000 };
    expect(measurementWarnings(open)[0]).toStartWith("repeat 1 at 20,000 req/s measured only 0.10 s");
    expect(measurementWarnings({ ...open, interrupted: true })).toEqual([]);
  });

  test("no latencies at all: no percentile warning (there is no percentile)", () => {
    expect(measurementWarnings(closed(1000, { ok: 0, durationS: 5 }))).toEqual([]);
  });
});

test("out-of-range latencies are counted and reported", () => {
  const tally = new Tally(0);
  expect(outOfRangeWarning(tally)).toBeNull();
  tally.latency.record(-5);
  tally.latency.record(Number.NaN);
  tally.service.record(1e12);
  expect(outOfRangeWarning(tally)).toBe("3 latencies were outside the histogram's range (negative or above one hour) and were clamped");
});

test("withWarnings adds each warning once, after the run's own", () => {
  const base = { ...run({ phase: "closed", concurrency: 1, lowUs: 1, highUs: 2, throughputRps: 1 }), warnings: ["a"] };
  expect(withWarnings(base, ["b", "a", "b"]).warnings).toEqual(["a", "b"]);
  expect(withWarnings(base, [])).toBe(base);
});
