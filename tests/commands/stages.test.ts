import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import schema from "../result.schema.json" with { type: "json" };
import { runCli } from "../support/cli.ts";
import { validate } from "../support/json-schema.ts";
import { tempDir } from "../support/temp-dir.ts";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";

/** `bench open --stages` end to end: a real subprocess against a real `minibench serve`. */

const PRESETS = {
  smoke: { closed: { concurrencies: [1, 10], total_per_c: 100, warmup: 10, repeat: 1 }, open: { duration: 1, warmup_sec: 0 } },
};

let server: ServeProcess;
let url = "";
const dir = tempDir("stages");

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
});
afterAll(() => server.proc.kill());

test("--stages: the run follows them, its document has each stage's results", async () => {
  const { stdout, code, stderr } = await runCli(["bench", "open", url, "--stages", "0.5s:100,0s:300,0.5s:300", "--repeat", "1", "--json"]);
  expect(code).toBe(0);
  expect(stderr).toContain("open loop http://127.0.0.1:");
  expect(stderr).toContain("stages from 0 req/s: 0.5s:100,0s:300,0.5s:300");
  const document = JSON.parse(stdout);
  expect(validate(document, schema)).toEqual([]);
  const [run] = document.runs;
  // From 0 (no --rps): a ramp to 100 (25 requests), a step to 300 held for 0.5 s (150); no warm-up from 0.
  expect(run.sent).toBeGreaterThanOrEqual(175);
  expect(run.sent).toBeLessThanOrEqual(176);
  expect(run.targetRps).toBeCloseTo(175, 6);
  expect(run.stages.map((stage: { stage: number; fromRps: number; toRps: number }) => [stage.stage, stage.fromRps, stage.toRps])).toEqual([
    [1, 0, 100],
    [3, 300, 300],
  ]);
  expect(run.stages.reduce((sum: number, stage: { sent: number }) => sum + stage.sent, 0)).toBe(run.sent);
});

test.each([
  [["--stages", "30s"], '--stages stage 1: expected duration:target (e.g. 30s:1000), got "30s"'],
  [["--stages", "0s:100"], "--stages: the stages last no time: 0s:100"],
  [["--rps", "0"], '--rps: expected a positive integer, got "0"'],
  [[], "--rps is required"],
])("bad stages exit 2 with a message naming the flag: %p", async (args, message) => {
  const { code, stderr } = await runCli(["bench", "open", url, ...args]);
  expect(code).toBe(2);
  expect(stderr).toContain(message);
  expect(stderr).not.toContain("    at ");
});

test("stages in bench_config.json's defaults, with their JSON path when wrong", async () => {
  const config = join(dir, "bench_config.json");
  writeFileSync(config, JSON.stringify({ presets: PRESETS, defaults: { stages: [{ duration: "0.3s", target: 50 }, { duration: "1s", target: -1 }] } }));
  const bad = await runCli(["bench", "open", url, "--config", config]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('defaults.stages[1].target: expected a non-negative integer, got "-1"');
  writeFileSync(config, JSON.stringify({ presets: PRESETS, defaults: { stages: [{ duration: "0.4s", target: 50 }] } }));
  const good = await runCli(["bench", "open", url, "--config", config, "--repeat", "1", "--json"]);
  expect(good.code).toBe(0);
  const [run] = JSON.parse(good.stdout).runs;
  expect(run.stages).toHaveLength(1);
  expect(run.sent).toBe(10);
});
