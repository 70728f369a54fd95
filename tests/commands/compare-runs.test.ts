import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * compare on real measurements: closed runs against `minibench serve --delay-ms 3` and
 * `--delay-ms 4`. The delay dominates each request (timers fire in whole milliseconds, so
 * 3 → 4 ms is ~+30% p50 latency and ~−20% throughput), which keeps the difference large and the
 * run-to-run noise of p50 small. Each run: 7 repeats of 300 requests over 5 connections, ~1.5 s;
 * 7 rather than 5 so that one repeat disturbed by another process does not cost the verdict.
 *
 * The three runs (base, the same server again, the slower server) run at the same time, started
 * with one --start-at. On a machine shared with other benchmarks the load changes from one second
 * to the next; runs made one after the other see different machines, and their tails differ by
 * more than their own repeats can show (measured: two back-to-back runs of one server were called
 * "slower" at p90–max). Run together, every side meets the same machine, as an A/B test should.
 */

const dir = tempDir("compare-runs");
const servers: ServeProcess[] = [];

async function serve(delayMs: number): Promise<string> {
  const server = await spawnServe(["--delay-ms", String(delayMs), "--quiet"]);
  servers.push(server);
  return `http://127.0.0.1:${server.port}/`;
}

async function measure(url: string, startAtMs: number, name: string): Promise<string> {
  const args = ["bench", "closed", url, "-n", "300", "-c", "5", "--repeat", "7", "--warmup", "100", "--start-at", String(startAtMs), "--json", "--quiet"];
  const { stdout, code } = await runCli(args);
  expect(code).toBe(0);
  const path = join(dir, name);
  writeFileSync(path, stdout);
  return path;
}

let base: string;
let same: string;
let slower: string;

beforeAll(async () => {
  const [url3, url4] = await Promise.all([serve(3), serve(4)]);
  // Far enough ahead for three Bun processes to start on two busy cores.
  const startAtMs = Date.now() + 1000;
  [base, same, slower] = await Promise.all([measure(url3, startAtMs, "delay3.json"), measure(url3, startAtMs, "delay3-again.json"), measure(url4, startAtMs, "delay4.json")]);
});

afterAll(async () => {
  for (const server of servers) server.proc.kill("SIGTERM");
  await Promise.all(servers.map((server) => server.proc.exited));
});

interface Metric {
  metric: string;
  verdict: string;
  changePct: number;
}

async function compare(base: string, next: string, extra: string[] = []) {
  const { stdout, stderr, code } = await runCli(["compare", base, next, "--json", ...extra]);
  const metrics = (JSON.parse(stdout).points[0].metrics as Metric[]).map((m) => [m.metric, m] as const);
  return { metrics: Object.fromEntries(metrics), stderr, code };
}

describe("compare on real runs", () => {
  test("a ~30% slower server: p50 slower, throughput down, nothing faster; --fail-regression 10 exits 3", async () => {
    const { metrics, code, stderr } = await compare(base, slower, ["--fail-regression", "10"]);
    expect(metrics.p50!.verdict).toBe("slower");
    expect(metrics.p50!.changePct).toBeGreaterThan(20);
    expect(metrics.throughput!.changePct).toBeLessThan(-10);
    expect(Object.values(metrics).some((m) => m.verdict === "faster")).toBe(false);
    expect(code).toBe(3);
    expect(stderr).toContain("p50");
  });

  test("the same server twice: no significant change in any metric, and the gate passes", async () => {
    const { metrics, code } = await compare(base, same, ["--fail-regression", "10"]);
    expect(Object.values(metrics).map((m) => [m.metric, m.verdict])).toEqual(
      ["throughput", "p50", "p90", "p99", "p999", "max"].map((metric) => [metric, "no significant change"]),
    );
    expect(code).toBe(0);
  });
});
