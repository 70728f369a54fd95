import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILT_IN_PRESETS, DEFAULT_LEVELS, DEFAULT_MIN_DURATION_S, loadConfig, parseConfig } from "../../src/config/bench-config.ts";
import { ConfigError } from "../../src/errors.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("config");
const good = () => structuredClone(BUILT_IN_PRESETS);

function messageOf(json: unknown): string {
  try {
    parseConfig(json, "bench_config.json");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("bench_config.json validation", () => {
  test("the repository's file is the three built-in profiles", () => {
    const fromFile = loadConfig(join(import.meta.dir, "../../bench_config.json"));
    expect(fromFile.presets).toEqual(parseConfig({ presets: BUILT_IN_PRESETS }, "x").presets);
    expect(Object.keys(fromFile.presets)).toEqual(["smoke", "standard", "stress"]);
  });

  test("optional keys take their defaults", () => {
    const config = parseConfig({ presets: good() }, "f");
    expect(config.presets.smoke!.open).toEqual({ durationS: 8, warmupS: 3, repeat: 1, concurrency: null, levels: DEFAULT_LEVELS });
    expect(config.presets.smoke!.closed).toEqual({ concurrencies: [1, 10, 50, 100], totalPerC: 1000, minDurationS: DEFAULT_MIN_DURATION_S, warmup: 200, repeat: 2 });
    expect(config.defaults).toEqual({});
  });

  test("min_duration_s: read when given, checked, and set by every built-in profile", () => {
    const closed = (extra: object) => ({ p: { closed: { ...good().smoke.closed, ...extra }, open: good().smoke.open } });
    expect(parseConfig({ presets: closed({ min_duration_s: 2.5 }) }, "f").presets.p!.closed.minDurationS).toBe(2.5);
    expect(parseConfig({ presets: closed({ min_duration_s: 0 }) }, "f").presets.p!.closed.minDurationS).toBe(0);
    expect(() => parseConfig({ presets: closed({ min_duration_s: -1 }) }, "f")).toThrow("f: presets.p.closed.min_duration_s: expected a number ≥ 0, got -1");
    for (const profile of Object.values(BUILT_IN_PRESETS)) expect(profile.closed.min_duration_s).toBeGreaterThanOrEqual(1);
  });

  test("optional keys and defaults are read", () => {
    const presets = { p: { closed: good().smoke.closed, open: { duration: 2, warmup_sec: 0, repeat: 3, concurrency: 64, levels: [0.25, 1] } } };
    const config = parseConfig({ presets, defaults: { keepalive: false, pipeline: 4, header: ["X-A: 1"], timeout: 2500 } }, "f");
    expect(config.presets.p!.open).toEqual({ durationS: 2, warmupS: 0, repeat: 3, concurrency: 64, levels: [0.25, 1] });
    expect(config.defaults).toEqual({ keepalive: false, pipeline: 4, header: ["X-A: 1"], timeout: 2500 });
  });

  const cases: [string, (presets: ReturnType<typeof good>) => unknown, string][] = [
    ["a wrong type in a list", (p) => ((p.smoke.closed.concurrencies as unknown[])[2] = "x"), 'bench_config.json: presets.smoke.closed.concurrencies[2]: expected a positive integer, got "x"'],
    ["a negative count", (p) => (p.standard.closed.total_per_c = -5), "bench_config.json: presets.standard.closed.total_per_c: expected a positive integer, got -5"],
    ["a fractional concurrency", (p) => ((p.smoke.closed.concurrencies as number[])[0] = 1.5), "bench_config.json: presets.smoke.closed.concurrencies[0]: expected a positive integer, got 1.5"],
    ["an empty list", (p) => (p.stress.closed.concurrencies = []), "bench_config.json: presets.stress.closed.concurrencies: expected a non-empty array, got []"],
    ["a zero duration", (p) => (p.smoke.open.duration = 0), "bench_config.json: presets.smoke.open.duration: expected a positive number, got 0"],
    ["a negative warm-up", (p) => (p.smoke.open.warmup_sec = -1), "bench_config.json: presets.smoke.open.warmup_sec: expected a number ≥ 0, got -1"],
    ["an unknown key (a typo)", (p) => ((p.smoke.closed as Record<string, unknown>).concurency = [1]), "bench_config.json: presets.smoke.closed.concurency: unknown key (expected one of concurrencies, total_per_c, min_duration_s, warmup, repeat)"],
    ["a missing key", (p) => delete (p.smoke.closed as Partial<typeof p.smoke.closed>).repeat, "bench_config.json: presets.smoke.closed.repeat: missing (required)"],
    ["a missing section", (p) => delete (p.smoke as Partial<typeof p.smoke>).open, "bench_config.json: presets.smoke.open: missing (required)"],
    ["an empty levels list", (p) => ((p.smoke.open as Record<string, unknown>).levels = []), "bench_config.json: presets.smoke.open.levels: expected a non-empty array, got []"],
    ["a profile that is not an object", (p) => ((p as Record<string, unknown>).smoke = 3), "bench_config.json: presets.smoke: expected an object, got 3"],
  ];
  for (const [name, mutate, message] of cases) {
    test(name, () => {
      const presets = good();
      mutate(presets);
      expect(messageOf({ presets })).toBe(message);
    });
  }

  test("an unknown top-level key, and bad defaults", () => {
    expect(messageOf({ presets: good(), preset: {} })).toBe("bench_config.json: preset: unknown key (expected one of presets, defaults)");
    expect(messageOf({ presets: good(), defaults: { keepalive: "no" } })).toBe('bench_config.json: defaults.keepalive: expected true or false, got "no"');
    expect(messageOf({ presets: good(), defaults: { concurrency: 5 } })).toBe(
      "bench_config.json: defaults.concurrency: unknown key (expected one of stages, url, method, header, body, keepalive, pipeline, timeout, threads, insecure, targets, script, targetsFormat, order, maxPool, expectStatus, expectBody, expectHeader)",
    );
    expect(messageOf([])).toBe("bench_config.json: (top level): expected an object, got []");
  });

  test("a missing file and invalid JSON", () => {
    expect(() => loadConfig(join(dir, "nope.json"))).toThrow(`${join(dir, "nope.json")}: cannot read the config file (no such file)`);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ presets: ");
    expect(() => loadConfig(broken)).toThrow(new RegExp(`^${broken}: not valid JSON \\(`));
  });
});

describe("defaults: read by the bench option table, reported by JSON path", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ pipeline: 0 }, "bench_config.json: defaults.pipeline: expected an integer from 1 to 1024, got 0"],
    [{ pipeline: "4" }, ""],
    [{ timeout: "soon" }, 'bench_config.json: defaults.timeout: expected a positive number of milliseconds, got "soon"'],
    [{ threads: 1000 }, "bench_config.json: defaults.threads: expected an integer from 1 to 256, got 1000"],
    [{ url: "ftp://x/" }, 'bench_config.json: defaults.url: expected an http:// or https:// URL, got "ftp://x/"'],
    [{ header: "X-A: 1" }, ""],
    [{ header: ["X-A: 1", "nocolon"] }, 'bench_config.json: defaults.header: expected "Name: value", got "nocolon"'],
    [{ method: "GE T" }, 'bench_config.json: defaults.method: expected an HTTP method (a token such as GET), got "GE T"'],
  ];
  test.each(cases)("%j", (defaults, message) => {
    if (message === "") expect(() => parseConfig({ presets: good(), defaults }, "bench_config.json")).not.toThrow();
    else expect(messageOf({ presets: good(), defaults })).toBe(message);
  });
});
