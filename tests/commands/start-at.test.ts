import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * --start-at, as several machines use it: three `bench closed` processes given one start time
 * must record start times (`startedAt`, taken once the wait is over) within a few milliseconds of
 * each other and of the time asked for. Then their documents merge without a warning.
 */

const dir = tempDir("start-at");
let server: ServeProcess;
let url: string;

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
});

afterAll(async () => {
  server.proc.kill("SIGTERM");
  await server.proc.exited;
});

/** Generous for a shared 2-core machine: the mechanism itself is within ~1 ms (a 1 ms sleep loop). */
const SPREAD_BOUND_MS = 50;

describe("--start-at", () => {
  test("three generators start within a few ms of each other and of the time asked for, and merge cleanly", async () => {
    const startAtMs = Date.now() + 1500;
    const outs = [0, 1, 2].map((i) => join(dir, `gen-${i}.json`));
    const results = await Promise.all(
      outs.map((out) => runCli(["bench", "closed", url, "-n", "300", "-c", "4", "--repeat", "1", "--warmup", "0", "--start-at", String(startAtMs), "--out", out, "--quiet"])),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);

    const startedMs = outs.map((out) => Date.parse(JSON.parse(readFileSync(out, "utf8")).startedAt));
    const spreadMs = Math.max(...startedMs) - Math.min(...startedMs);
    const lateMs = startedMs.map((ms) => ms - startAtMs);
    // The measured numbers, for whoever reads the test log.
    console.log(`--start-at: spread ${spreadMs} ms, each started ${lateMs.join(", ")} ms after the time asked for`);
    expect(spreadMs).toBeLessThanOrEqual(SPREAD_BOUND_MS);
    for (const late of lateMs) {
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(SPREAD_BOUND_MS);
    }

    const merged = join(dir, "all.json");
    const merge = await runCli(["merge", ...outs, "-o", merged]);
    expect(merge.code).toBe(0);
    expect(merge.stderr).not.toContain("WARN");
    const document = JSON.parse(readFileSync(merged, "utf8"));
    expect(document.runs).toHaveLength(1);
    expect(document.runs[0]).toMatchObject({ concurrency: 12, requests: 900 });
  });
});
