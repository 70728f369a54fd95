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

async function closedRun({ sockets, ...flags }: Record<string, unknown>): Promise<RunResult> {
  const { plan } = await withScript(benchPlan("closed", { warmup: "0", repeat: "1", concurrency: "4", ...flags }, CONFIG));
  return (await runLoad({ ...plan.load, sockets: sockets as "bun" | "epoll" | undefined }, plan.run as ClosedRun, "closed"))[0]!;
}

/**
 * A server that answers "all ok" with `X-Check: yes`, except every 10th response (from the
 * 10th): the 10th, 30th, … with `X-Check: no`, the 20th, 40th, … with a chunked "all wrong".
 */
function wrongEvery10th(): { port: number; received: () => number } {
  let k = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      k++;
      if (k % 20 === 10) return new Response("all ok", { headers: { "X-Check": "no" } });
      if (k % 20 === 0) {
        const pieces = ["all ", "wrong"].map((text) => new TextEncoder().encode(text));
        return new Response(new ReadableStream({ pull: (c) => (pieces.length > 0 ? c.enqueue(pieces.shift()!) : c.close()) }), { headers: { "X-Check": "yes" } });
      }
      return new Response("all ok", { headers: { "X-Check": "yes" } });
    },
  });
  stops.push(() => server.stop(true));
  return { port: server.port!, received: () => k };
}

const checkingScript = (port: number, check: string) => `export const targets = () => [{ url: "http://127.0.0.1:${port}/", name: "home" }];

${check}
`;

const HEADER_THEN_BODY = `export function check(r: { headers: Record<string, string>; body: string }) {
  if (r.headers["x-check"] !== "yes") return "header";
  return r.body === "all ok" || "body";
}`;

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

  test("request(i) is refused at its line, with or without targets(), saying what covers per-request values", async () => {
    const message = "request(i) (requests built at run time) is not supported: return the requests from targets(), with {{seq}}, {{rand:N}} or {{uuid}} where a value must differ per request";
    const alone = script(`export function request(i: number) {\n  return { url: "http://127.0.0.1:1/" + i };\n}\n`);
    await expect(withScript(benchPlan("closed", { script: alone }, CONFIG))).rejects.toThrow(`${alone}:1: ${message}`);
    const beside = script(`export const targets = () => [{ url: "http://127.0.0.1:1/" }];\n\nexport const request = (i: number) => ({ url: "http://127.0.0.1:1/" + i });\n`);
    await expect(withScript(benchPlan("closed", { script: beside }, CONFIG))).rejects.toThrow(`${beside}:3: ${message}`);
  });

  test("targets on two origins are refused with the script's line and both origins", async () => {
    const path = script(`export function targets() {\n  return [{ url: "http://127.0.0.1:1/" }, { url: "http://127.0.0.1:2/" }];\n}\n`);
    await expect(withScript(benchPlan("closed", { script: path }, CONFIG))).rejects.toThrow(
      `${path}:1: targets()[1]: expected every target on one origin, as the first: http://127.0.0.1:1 (targets()[0]), but this one is on http://127.0.0.1:2 (targets()[1]); run one bench per origin`,
    );
  });
});

describe.each(["bun", "epoll"] as const)("check(response), %s sockets:", (sockets) => {
  test("a server wrong every 10th time: counted exactly by name, as check errors, over 1 and 2 threads, with and without pipelining", async () => {
    for (const [threads, pipeline] of [["1", "1"], ["2", "4"]]) {
      const { port, received } = wrongEvery10th();
      const run = await closedRun({ script: script(checkingScript(port, HEADER_THEN_BODY)), requests: "1000", threads, pipeline, sockets });
      expect(received()).toBe(1000);
      expect(run.requests).toBe(1000);
      expect(run.checks).toEqual({ script: { passed: 900, failed: 100 }, "script:header": { passed: 950, failed: 50 }, "script:body": { passed: 950, failed: 50 } });
      expect([run.ok, run.errors.check]).toEqual([900, 100]);
      expect(run.statuses).toEqual({ "200": 1000 });
      // Latency is still recorded for a response that failed its check.
      expect(run.byTarget!.map((t) => [t.name, t.requests, t.ok, t.errors.check, t.latencyMs.max > 0])).toEqual([["home", 1000, 900, 100, true]]);
    }
  });

  test("a warm-up's responses are checked but not counted", async () => {
    const { port, received } = wrongEvery10th();
    const run = await closedRun({ script: script(checkingScript(port, HEADER_THEN_BODY)), warmup: "100", requests: "1000", sockets });
    expect(received()).toBe(1100);
    expect(run.checks).toEqual({ script: { passed: 900, failed: 100 }, "script:header": { passed: 950, failed: 50 }, "script:body": { passed: 950, failed: 50 } });
  });

  test("beside --expect-*: each counted under its own name, a response failing either is one check error", async () => {
    const { port } = wrongEvery10th();
    const bodyOnly = `export const check = (r: { body: string }) => r.body === "all ok" || "body";`;
    const run = await closedRun({ script: script(checkingScript(port, bodyOnly)), requests: "1000", "expect-header": ["X-Check: yes"], "expect-status": "200", sockets });
    expect(run.checks).toEqual({
      status: { passed: 1000, failed: 0 },
      "header:X-Check": { passed: 950, failed: 50 },
      script: { passed: 950, failed: 50 },
      "script:body": { passed: 950, failed: 50 },
    });
    expect([run.ok, run.errors.check]).toEqual([900, 100]);
  });

  test("a check() that throws stops the run: no more is sent, and it fails with the line that threw", async () => {
    const { port, received } = wrongEvery10th();
    const path = script(checkingScript(port, `let seen = 0;\nexport function check() {\n  if (++seen === 50) throw new Error("boom");\n  return true;\n}`));
    await expect(closedRun({ script: path, requests: "200000", threads: "2", pipeline: "2", sockets })).rejects.toThrow(`${path}:5: check() threw on a 200 response: boom`);
    // Each thread stops at once: at most what was in flight beside the 50 responses per thread.
    expect(received()).toBeLessThan(1000);
  });
});

describe("the CLI", () => {
  test("check(response) with --fail-check-rate: the counts in the JSON, exit 3 above the rate, 0 at it", async () => {
    const { port } = wrongEvery10th();
    const path = script(checkingScript(port, HEADER_THEN_BODY));
    const args = ["bench", "closed", "--script", path, "-n", "500", "-c", "4", "--warmup", "0", "--repeat", "1", "--json"];
    const above = await runCli([...args, "--fail-check-rate", "0.05"]);
    expect(above.code).toBe(3);
    expect(above.stderr).toContain("check failure rate 0.1000 is above --fail-check-rate 0.05");
    expect(JSON.parse(above.stdout).runs[0].checks).toEqual({ script: { passed: 450, failed: 50 }, "script:header": { passed: 475, failed: 25 }, "script:body": { passed: 475, failed: 25 } });
    const at = await runCli([...args, "--fail-check-rate", "0.1"]);
    expect(at.code).toBe(0);
  });

  test("a check() returning something else: exit 2 at its line, no stack; in an open loop too", async () => {
    const { port, received } = wrongEvery10th();
    const path = script(checkingScript(port, `export function check(r: { status: number }) {\n  return r.status;\n}`));
    const closed = await runCli(["bench", "closed", "--script", path, "-n", "100000", "-c", "2", "--warmup", "0", "--repeat", "1"]);
    expect(closed.stderr).toContain(`${path}:3: check(): expected true, false or the failed check's name (1 to 64 characters without spaces), got 200`);
    expect(closed.code).toBe(2);
    expect(closed.stderr).not.toMatch(/^\s+at /m);
    const before = received();
    const started = Date.now();
    const open = await runCli(["bench", "open", "--script", path, "--rps", "200", "-d", "20s", "--warmup-sec", "0", "--repeat", "1"]);
    expect(open.stderr).toContain(`${path}:3: check(): expected true`);
    expect(open.code).toBe(2);
    // Stopped at the first response, not at the end of its 20 s.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(received() - before).toBeLessThan(100);
  });

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
