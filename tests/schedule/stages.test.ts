import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { connectionsAt, formatStages, LoadProfile, parseStages, readStages } from "../../src/schedule/stages.ts";
import { seededRandom } from "../support/random.ts";

describe("parseStages", () => {
  test("reads k6's duration:target notation, with units", () => {
    expect(parseStages("--stages", "30s:1000, 0s:5k,1.5m:5000,500ms:0")).toEqual([
      { durationS: 30, target: 1000 },
      { durationS: 0, target: 5000 },
      { durationS: 90, target: 5000 },
      { durationS: 0.5, target: 0 },
    ]);
    expect(formatStages(parseStages("--stages", "30s:1000,0s:5000"))).toBe("30s:1000,0s:5000");
  });

  test.each([
    ["", "--stages: expected stages as duration:target"],
    ["30s", '--stages stage 1: expected duration:target (e.g. 30s:1000), got "30s"'],
    ["30s:10,x:5", '--stages stage 2 duration: expected a non-negative duration (e.g. 15, 15s, 500ms, 2m), got "x"'],
    ["30s:10,5s:-1", '--stages stage 2 target: expected a non-negative integer, got "-1"'],
    ["30s:10,,5s:1", "--stages stage 2: expected duration:target"],
  ])("%p is refused with a message naming the stage", (text, message) => {
    const attempt = () => parseStages("--stages", text);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});

describe("readStages: a flag's text or a config file's list", () => {
  test("both forms give the same stages", () => {
    const fromText = readStages("30s:1000,0s:5k", "--stages");
    expect(readStages([{ duration: "30s", target: 1000 }, { duration: 0, target: "5k" }], "defaults.stages")).toEqual(fromText);
    expect(readStages("30s:1000,0s:5k", "defaults.stages")).toEqual(fromText);
  });

  test.each<[unknown, string]>([
    [[], 'bench_config.json: defaults.stages: expected stages as "duration:target,…" or a non-empty list of { "duration", "target" }, got []'],
    [42, "bench_config.json: defaults.stages: expected stages"],
    [[{ duration: "1s", target: 5 }, "2s:5"], 'bench_config.json: defaults.stages[1]: expected { "duration": "30s", "target": 1000 }, got "2s:5"'],
    [[{ duration: "1s", target: -5 }], 'bench_config.json: defaults.stages[0].target: expected a non-negative integer, got "-5"'],
    [[{ duration: "soon", target: 5 }], 'bench_config.json: defaults.stages[0].duration: expected a non-negative duration'],
    [[{ target: 5 }], "bench_config.json: defaults.stages[0].duration: expected a non-negative duration (e.g. 15, 15s, 500ms, 2m), got \"null\""],
    [[{ duration: 1, target: 5, ramp: true }], 'bench_config.json: defaults.stages[0].ramp: unknown key (a stage has "duration" and "target")'],
  ])("%p is refused with its JSON path", (input, message) => {
    expect(() => readStages(input, "bench_config.json: defaults.stages")).toThrow(message);
  });
});

/** H(t) by summing r(t) over tiny steps: an oracle independent of the closed form. */
function numericArea(profile: LoadProfile, tS: number, steps = 200_000): number {
  const dt = tS / steps;
  let area = 0;
  for (let i = 0; i < steps; i++) area += profile.levelAt((i + 0.5) * dt) * dt;
  return area;
}

describe("LoadProfile", () => {
  const spike = new LoadProfile(0, parseStages("--stages", "10s:1000,0s:20000,5s:20000,0s:1000,20s:1000"));

  test("levels move linearly through the stages; a step takes effect at once", () => {
    const profile = new LoadProfile(100, parseStages("--stages", "10s:300,0s:50,10s:50,5s:0"));
    expect(profile.durationS).toBe(25);
    expect(profile.levelAt(0)).toBe(100);
    expect(profile.levelAt(5)).toBe(200);
    expect(profile.levelAt(9.999)).toBeCloseTo(299.98, 6);
    expect(profile.levelAt(10)).toBe(50);
    expect(profile.levelAt(22.5)).toBe(25);
    expect(profile.levelAt(30)).toBe(0);
    expect(profile.maxLevel).toBe(300);
    expect(profile.total).toBe(2000 + 500 + 125);
    expect(profile.stageStartsS).toEqual([0, 10, 10, 20]);
    expect(profile.stageEndsS).toEqual([10, 10, 20, 25]);
    expect([0, 9.9, 10, 19.9, 20, 24.9, 25].map((t) => profile.stageAt(t))).toEqual([0, 0, 2, 2, 3, 3, 3]);
  });

  test("H(t) in closed form matches a numeric integral of r(t)", () => {
    // The sum is off by at most one cell of the step's height where it straddles a step: 20 000 × tS / 200 000.
    for (const tS of [0.5, 10, 12.5, 15, 27.3, 35]) expect(Math.abs(spike.areaUntil(tS) - numericArea(spike, tS))).toBeLessThan(0.1 * tS);
    // Away from steps the sum is exact to rounding.
    expect(spike.areaUntil(7.3)).toBeCloseTo(numericArea(spike, 7.3), 3);
    expect(spike.total).toBe(5000 + 100_000 + 20_000);
    expect(spike.areaUntil(99)).toBe(spike.total);
  });

  test("H⁻¹ inverts H, increases with n, and ends with the profile", () => {
    const profiles = [
      spike,
      new LoadProfile(5000, parseStages("--stages", "3s:0,2s:0,0s:10,4s:7000")),
      new LoadProfile(1, parseStages("--stages", "60s:1")),
    ];
    for (const profile of profiles) {
      let previousS = -1;
      const step = profile.total / 5000;
      for (let n = 0; n < profile.total; n += step) {
        const tS = profile.timeOfArea(n);
        expect(tS).toBeGreaterThanOrEqual(previousS);
        expect(Math.abs(profile.areaUntil(tS) - n)).toBeLessThan(1e-6 * Math.max(1, n));
        previousS = tS;
      }
      expect(profile.timeOfArea(profile.total)).toBe(Number.POSITIVE_INFINITY);
    }
  });

  test("no arrival falls in a stage at level 0: they resume where the level rises again", () => {
    const profile = new LoadProfile(0, parseStages("--stages", "2s:0,0s:100,1s:100,0s:0,3s:0,1s:100"));
    // Request 0 waits for the level to rise at 2 s; 100 fall in [2 s, 3 s); the next is due in the last ramp.
    expect(profile.timeOfArea(0)).toBe(2);
    expect(profile.timeOfArea(99.999)).toBeLessThan(3);
    expect(profile.timeOfArea(100)).toBe(6);
    expect(profile.timeOfArea(100 + 12.5)).toBeCloseTo(6.5, 12);
  });

  test("durations that add up to a hair over a whole number of requests give that number, not one more", () => {
    // 0.2 + 2 is 2.2000000000000002, and 200 req/s over it 440.00000000000006.
    const profile = LoadProfile.constant(200, 0.2 + 2);
    expect(profile.total).toBeGreaterThan(440);
    expect(profile.timeOfArea(439)).toBeLessThan(profile.durationS);
    expect(profile.timeOfArea(440)).toBe(Number.POSITIVE_INFINITY);
    const stepped = new LoadProfile(0, parseStages("--stages", "0.1s:0,0s:30,0.1s:30,0.2s:30"));
    expect(stepped.timeOfArea(8)).toBeLessThan(0.4);
    expect(stepped.timeOfArea(9)).toBe(Number.POSITIVE_INFINITY);
  });

  test("asked out of order, H⁻¹ gives the same answers as in order", () => {
    const random = seededRandom(7);
    const ns = Array.from({ length: 1000 }, () => random() * spike.total);
    const inOrder = new Map([...ns].sort((a, b) => a - b).map((n) => [n, spike.timeOfArea(n)]));
    for (const n of ns) expect(spike.timeOfArea(n)).toBe(inOrder.get(n)!);
  });

  test("nearly flat and steep ramps are solved without loss of precision", () => {
    // A slope of 1e-9 req/s² at 1e6 req/s: the textbook root (−b + √(b² + 2ad)) / a would cancel.
    const flat = new LoadProfile(1e6, [{ durationS: 10, target: 1e6 + 1e-8 }]);
    expect(flat.timeOfArea(1)).toBeCloseTo(1e-6, 15);
    expect(flat.timeOfArea(5e6)).toBeCloseTo(5, 9);
    const steep = new LoadProfile(0, [{ durationS: 0.001, target: 1e7 }]);
    expect(steep.timeOfArea(1250)).toBeCloseTo(0.0005, 12);
    const down = new LoadProfile(1000, [{ durationS: 2, target: 0 }]);
    expect(down.timeOfArea(999.999999)).toBeCloseTo(2, 3);
    expect(down.timeOfArea(750)).toBeCloseTo(1, 12);
  });
});

test("a closed loop's connections follow the level, rounded", () => {
  const profile = new LoadProfile(0, parseStages("--stages", "10s:10,0s:100,5s:100,1s:0"));
  expect([0, 0.4, 0.5, 5, 9.99, 10, 15, 15.5, 16, 20].map((t) => connectionsAt(profile, t))).toEqual([0, 0, 1, 5, 10, 100, 100, 50, 0, 0]);
  expect(profile.maxLevel).toBe(100);
});
