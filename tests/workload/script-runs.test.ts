import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILT_IN_PRESETS, parseConfig } from "../../src/config/bench-config.ts";
import { benchPlan } from "../../src/config/bench-plan.ts";
import type { ClosedRun } from "../../src/config/plan.ts";
import { withScript } from "../../src/config/workload-plan.ts";
import { runLoad } from "../../src/schedule/threads.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * `--script` for real: a module's targets() through the bench plan, on loopback, to a server that
 * counts the paths it receives; and through the CLI, where a broken script must read as FILE:LINE.
 */

const dir = tempDir("script-runs");
const CONFIG = parseConfig({ presets: BUILT_IN_PRESETS }, "bench_config.json");
const stops: (() => unknown)[] = [];
afterAll(() => {
  for (const stop of stops) stop();
});

let files = 0;
function script(source: string): string {
  const path = join(dir, `workload-${++files}.ts`);
  writeFileSync(path, source);
  return path;
}

/** A server that counts requests by path. */
function countingServer(): { port: number; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      return new Response("ok");
    },
  });
  stops.push(() => server.stop(true));
  return { port: server.port!, counts };
}

async function closedRun(flags: Record<string, unknown>): Promise<RunResult> {
  const { plan } = await withScript(benchPlan("closed", { warmup: "0", repeat: "1", concurrency: "4", ...flags }, CONFIG));
  return (await runLoad(plan.load, plan.run as ClosedRun, "closed"))[0]!;
}

const threeTargets = (port: number, pick = "") => `
export async function targets() {
  await Bun.sleep(1);
  return [1, 2, 3].map((n) => ({ url: "http://127.0.0.1:${port}/t" + n, name: "t" + n, weight: n }));
}
${pick}`;

describe("a script's targets in the pool", () => {
  test("targets() with weights, roundrobin: exact counts, one byTarget row each, generator pool", async () => {
    const { port, counts } = countingServer();
    const run = await closedRun({ script: script(threeTargets(port)), requests: "600" });
    expect(Object.fromEntries(counts)).toEqual({ "/t1": 100, "/t2": 200, "/t3": 300 });
    expect(run.generator).toBe("pool");
    expect(run.byTarget!.map((t) => [t.name, t.requests])).toEqual([["t1", 100], ["t2", 200], ["t3", 300]]);
  });

  test("pick(i) instead of the order: its choice, whatever the weights, over two threads with interleaved i", async () => {
    const { port, counts } = countingServer();
    // Even request numbers go to t1, odd ones to t3: thread 0 sends 0, 2, 4 …, thread 1 sends 1, 3, 5 …
    const path = script(threeTargets(port, "export function pick(i: number) { return i % 2 === 0 ? 0 : 2; }"));
    const run = await closedRun({ script: path, requests: "400", threads: "2" });
    expect(run.requests).toBe(400);
    expect(Object.fromEntries(counts)).toEqual({ "/t1": 200, "/t3": 200 });
  });

  test("a URL, --targets or --serve beside --script is refused before anything starts", () => {
    const path = script(threeTargets(1));
    expect(() => benchPlan("closed", { script: path, target: "http://127.0.0.1:1/" }, CONFIG)).toThrow("--script: the script names the URLs; give no URL with it");
    expect(() => benchPlan("closed", { script: path, targets: path }, CONFIG)).toThrow("--targets and --script: the requests come from one of them; give one");
    expect(() => benchPlan("closed", { script: path, serve: true }, CONFIG)).toThrow("--script and --serve: the script names where requests go; give one of them");
  });

  test("check(response) and request(i), not run by the engine yet, are refused at their line rather than ignored", async () => {
    const checking = script(`export const targets = () => [{ url: "http://127.0.0.1:1/" }];\n\nexport function check() {\n  return true;\n}\n`);
    await expect(withScript(benchPlan("closed", { script: checking }, CONFIG))).rejects.toThrow(`${checking}:3: check(response) is not supported yet`);
    const dynamic = script(`export function request(i: number) {\n  return { url: "http://127.0.0.1:1/" + i };\n}\n`);
    await expect(withScript(benchPlan("closed", { script: dynamic }, CONFIG))).rejects.toThrow(`${dynamic}:1: request(i) (requests built at run time) is not supported yet`);
  });

  test("targets on two origins are refused with the script's line and both origins", async () => {
    const path = script(`export function targets() {\n  return [{ url: "http://127.0.0.1:1/" }, { url: "http://127.0.0.1:2/" }];\n}\n`);
    await expect(withScript(benchPlan("closed", { script: path }, CONFIG))).rejects.toThrow(
      `${path}:1: targets()[1]: expected every target on one origin, as the first: http://127.0.0.1:1 (targets()[0]), but this one is on http://127.0.0.1:2 (targets()[1]); run one bench per origin`,
    );
  });
});

describe("the CLI", () => {
  test("a syntax error: exit 2, one line at FILE:LINE:COL, no stack", async () => {
    const path = script(`export function targets() {\n  return [{ url: "http://127.0.0.1:1/" ]];\n}\n`);
    const { stderr, stdout, code } = await runCli(["bench", "closed", "--script", path, "-n", "10"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${path}:2:`);
    expect(stderr).toContain("cannot be loaded");
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test("a throw in targets(): exit 2 at the line that threw", async () => {
    const path = script(`export function targets() {\n  const users: string[] = [];\n  if (users.length === 0) throw new Error("users.csv is empty");\n  return [];\n}\n`);
    const { stderr, code } = await runCli(["bench", "closed", "--script", path, "-n", "10"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}:3: targets() threw: users.csv is empty`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test("pick(i) returning a bad index mid-run: exit 2 naming pick and the value", async () => {
    const { port } = countingServer();
    const path = script(threeTargets(port, "export function pick(i: number) {\n  return i < 50 ? 0 : 7;\n}\n"));
    const { stderr, code } = await runCli(["bench", "closed", "--script", path, "-n", "200", "-c", "2", "--warmup", "0", "--repeat", "1"]);
    expect(stderr).toContain(`pick(50): expected a target index from 0 to 2 (or -1 to stop), got 7`);
    expect(code).toBe(2);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test("defaults.script in bench_config.json, relative to the config file; the JSON says where requests came from", async () => {
    const { port, counts } = countingServer();
    const configDir = join(dir, "config");
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, "workload.ts"), threeTargets(port));
    writeFileSync(join(configDir, "bench_config.json"), JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { script: "workload.ts" } }));
    const { stdout, code } = await runCli(["bench", "closed", "--config", join(configDir, "bench_config.json"), "-n", "60", "-c", "2", "--warmup", "0", "--repeat", "1", "--json"]);
    expect(code).toBe(0);
    expect(Object.fromEntries(counts)).toEqual({ "/t1": 10, "/t2": 20, "/t3": 30 });
    const document = JSON.parse(stdout);
    expect(document.options).toMatchObject({ script: join(configDir, "workload.ts"), targetCount: 3, order: "roundrobin" });
    const run = document.runs[0];
    expect(run.generator).toBe("pool");
    expect(run.byTarget.map((t: { name: string }) => t.name)).toEqual(["t1", "t2", "t3"]);
  });

  test("defaults.script of the wrong type is refused with its JSON path", async () => {
    const path = join(dir, "bad_config.json");
    writeFileSync(path, JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { script: 3 } }));
    const { stderr, code } = await runCli(["bench", "closed", "--config", path, "-n", "1"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: defaults.script: expected a non-empty string, got 3`);
  });
});
