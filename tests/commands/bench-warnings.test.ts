import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import schema from "../result.schema.json" with { type: "json" };
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { runCli } from "../support/cli.ts";
import { validate } from "../support/json-schema.ts";

/** What a reader must be told before trusting the numbers, end to end against `minibench serve`. */

let server: ServeProcess;
let url = "";

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
});

afterAll(() => {
  server.proc.kill();
});

describe("short runs warn", () => {
  test("-n 2000: too short and too few samples for p99.9, on stderr and in the JSON warnings", async () => {
    const { stdout, stderr, code } = await runCli(["bench", "closed", url, "-n", "2000", "-c", "20", "--repeat", "1", "--warmup", "0", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    const warnings: string[] = document.runs[0].warnings;
    expect(warnings).toContain("repeat 1 at concurrency 20 recorded 2,000 latencies: its p99.9 rests on 2 of them (10,000 give it 10)");
    expect(warnings.some((w) => /^repeat 1 at concurrency 20 measured only 0\.\d\d s/.test(w))).toBe(true);
    for (const warning of warnings) expect(stderr).toContain(warning);
  });

  test("a run long enough and with enough samples says nothing of the kind", async () => {
    const { stdout, code } = await runCli(["bench", "closed", url, "-d", "1.2", "-c", "4", "--repeat", "1", "--warmup", "0", "--json"]);
    expect(code).toBe(0);
    const [run] = JSON.parse(stdout).runs;
    // A loaded machine may still record fewer than 10,000 in 1.2 s; the duration warning must not appear.
    expect((run.warnings ?? []).filter((w: string) => w.includes("measured only"))).toEqual([]);
  });
});
