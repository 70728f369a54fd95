import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import schema from "../result.schema.json" with { type: "json" };
import { CSV_COLUMNS } from "../../src/report/csv.ts";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { runCli } from "../support/cli.ts";
import { validate } from "../support/json-schema.ts";
import { tempDir } from "../support/temp-dir.ts";

/** `bench sweep` and `bench preset` end to end against `minibench serve`, with a tiny profile from a temp config. */

let server: ServeProcess;
let url = "";
const dir = tempDir("preset");
const configPath = join(dir, "tiny.json");

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
  writeFileSync(
    configPath,
    JSON.stringify({
      presets: {
        tiny: {
          closed: { concurrencies: [1, 4], total_per_c: 300, min_duration_s: 0.25, warmup: 20, repeat: 2 },
          open: { duration: 0.5, warmup_sec: 0.1, concurrency: 50, levels: [0.1, 0.2] },
        },
      },
      defaults: { timeout: 3000 },
    }),
  );
});

afterAll(() => {
  server.proc.kill();
});

describe("bench sweep", () => {
  test("a closed run per concurrency, medians, best and knee", async () => {
    const { stdout, stderr, code } = await runCli(["bench", "sweep", url, "--concurrencies", "1,2,8", "-n", "300", "--min-duration", "0", "--repeat", "2", "--warmup", "20", "--slo-p99", "10000", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    expect(document.mode).toBe("sweep");
    expect(document.runs).toHaveLength(6);
    expect(document.runs.every((run: { phase: string; ok: number }) => run.phase === "sweep" && run.ok === 300)).toBe(true);
    expect(document.summary.groups.map((group: { concurrency: number }) => group.concurrency)).toEqual([1, 2, 8]);
    const { best, knee, slo } = document.summary.sweep;
    const top = Math.max(...document.summary.groups.map((group: { throughputRps: number }) => group.throughputRps));
    expect(best.throughputRps).toBe(top);
    expect(knee.throughputRps).toBeGreaterThanOrEqual(0.9 * top);
    expect(slo).toEqual({ p99Ms: 10000, point: best });
    expect(stderr).toContain("best:");
    expect(stderr).toContain("knee");
  });

  test("--min-duration: a count reached sooner goes on until each repeat has measured that long", async () => {
    const { stdout, code } = await runCli(["bench", "sweep", url, "--concurrencies", "2", "-n", "50", "--min-duration", "0.6", "--repeat", "2", "--warmup", "0", "--json"]);
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout);
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      // 50 requests alone last milliseconds; a stalled machine may end the last response a little early.
      expect(run.durationS).toBeGreaterThan(0.3);
      expect(run.durationS).toBeLessThan(3);
      expect(run.requests).toBeGreaterThan(50);
    }
  });

  test("a bad concurrency list names the flag", async () => {
    const { code, stderr } = await runCli(["bench", "sweep", url, "--concurrencies", "1,two"]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('minibench: --concurrencies: expected a positive integer, got "two"');
  });
});

describe("bench preset", () => {
  test("calibration, open loop at the profile's levels, the CSV in --out-dir (config given before the mode)", async () => {
    const outDir = mkdtempSync(join(dir, "out-"));
    const { stdout, stderr, code } = await runCli(["bench", "--config", configPath, "preset", url, "--profile", "tiny", "--out-dir", outDir, "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    expect(document.mode).toBe("preset");
    const { capacityRps, levels, profile } = document.summary.preset;
    expect(profile).toBe("tiny");
    expect(capacityRps).toBe(document.summary.sweep.best.throughputRps);
    expect(levels.map((level: { fraction: number }) => level.fraction)).toEqual([0.1, 0.2]);
    expect(levels[0].targetRps).toBe(Math.max(1, Math.round(0.1 * capacityRps)));
    const openGroups = document.summary.groups.filter((group: { phase: string }) => group.phase === "open");
    expect(openGroups.map((group: { targetRps: number }) => group.targetRps)).toEqual(levels.map((level: { targetRps: number }) => level.targetRps));
    expect(openGroups.every((group: { concurrency: number }) => group.concurrency === 50)).toBe(true);
    expect(document.options.timeoutMs).toBe(3000);
    const calibration = document.runs.filter((run: { phase: string }) => run.phase === "sweep");
    expect(calibration.every((run: { durationS: number; requests: number }) => run.durationS > 0.2 && run.requests >= 300)).toBe(true);

    const files = readdirSync(outDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^preset_tiny_\d{8}_\d{6}\.csv$/);
    const rows = readFileSync(join(outDir, files[0]!), "utf8").trimEnd().split("\r\n").map((line) => line.split(","));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((row) => row[1])).toEqual(["closed_sweep", "closed_sweep", "open_loop", "open_loop"]);
    expect(new Set(rows.slice(1).map((row) => row[0])).size).toBe(1);
    expect(rows.slice(1).every((row) => row[2] === "tiny" && row[3] === url)).toBe(true);
    expect(stderr).toMatch(/at 20% of capacity: (sustained|could not sustain) [\d,]+ req\/s/);
  });

  test("a bad config: one line with the JSON path, exit 2", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ presets: { tiny: { closed: { concurrencies: [1, "x"], total_per_c: 10, warmup: 0, repeat: 1 }, open: { duration: 1, warmup_sec: 0 } } } }));
    const { code, stderr } = await runCli(["bench", "preset", url, "--config", bad, "--profile", "tiny"]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`minibench: ${bad}: presets.tiny.closed.concurrencies[1]: expected a positive integer, got "x"`);
  });

  test("an unknown profile lists the known ones", async () => {
    const { code, stderr } = await runCli(["bench", "preset", url, "--config", configPath, "--profile", "huge"]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`minibench: --profile: no profile "huge" in ${configPath} (it has tiny)`);
  });

  test("a missing config file", async () => {
    const { code, stderr } = await runCli(["bench", "preset", url, "--config", join(dir, "missing.json")]);
    expect(code).toBe(2);
    expect(stderr).toContain("missing.json: cannot read the config file (no such file)");
  });
});
