import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import schema from "../result.schema.json" with { type: "json" };
import { validate } from "../support/json-schema.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";
import { BUILT_IN_PRESETS } from "../../src/config/bench-config.ts";

/** `bench --targets` end to end: real subprocesses against a server in this process, and bad files refused. */

const dir = tempDir("targets");
let answered = 0;
const paths: string[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    paths.push(new URL(request.url).pathname);
    // Every 4th answer fails the body check.
    return new Response(++answered % 4 === 0 ? "nope" : "ok");
  },
});
afterAll(() => server.stop(true));
const origin = `http://127.0.0.1:${server.port}`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const bench = (args: string[], cwd?: string) => runCli(["bench", ...args], { cwd });

describe("bench --targets", () => {
  test("--json: a valid document with generator, checks and byTarget; --fail-check-rate exits 3 when the rate is above it", async () => {
    const targets = file("ab.http", `# @name a\nGET ${origin}/a\n\n# @name b\nPOST ${origin}/b\nContent-Type: text/plain\n@${file("b.txt", "body")}\n`);
    answered = 0;
    const { stdout, stderr, code } = await bench(["closed", "--targets", targets, "-n", "400", "-c", "4", "--warmup", "0", "--repeat", "1", "--expect-body", "ok", "--fail-check-rate", "0.2", "--json"]);
    expect(code).toBe(3);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    const [run] = document.runs;
    expect(run.generator).toBe("pool");
    expect(run.checks).toEqual({ body: { passed: 300, failed: 100 } });
    expect(run.errors.check).toBe(100);
    expect(run.byTarget.map((t: { name: string; requests: number }) => [t.name, t.requests])).toEqual([["a", 200], ["b", 200]]);
    expect(document.options).toMatchObject({ targets, targetCount: 2, order: "roundrobin" });
    expect(stderr).toContain("check failure rate 0.2500 is above --fail-check-rate 0.2");
    expect(stderr).toMatch(/target\s+requests/);
    expect(stderr).toContain("checks: body 300 passed, 100 failed");
  });

  test("bench_config.json's defaults.targets, a sweep, and the rate gate passing", async () => {
    const targets = file("urls.txt", `${origin}/u1\n${origin}/u2\n`);
    const config = file("bench_config.json", JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { targets } }));
    paths.length = 0;
    const { code, stdout } = await bench(["sweep", "--config", config, "--concurrencies", "2", "-n", "100", "--warmup", "0", "--repeat", "1", "--min-duration", "0", "--json", "--expect-status", "2xx", "--fail-check-rate", "0"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(document.runs[0].byTarget.map((t: { name: string; requests: number }) => [t.name, t.requests])).toEqual([["GET /u1", 50], ["GET /u2", 50]]);
    expect(paths.filter((path) => path === "/u1").length).toBe(50);
  });
});

describe("bad targets: exit 2, one line naming the file and the line", () => {
  const cases: [string, string, RegExp][] = [
    ["malformed", `GET ${origin}/a\nnot a header line\n`, /malformed\.http:2: expected a header "Name: value"/],
    ["missing-body", `POST ${origin}/a\n@/nonexistent/body.json\n`, /missing-body\.http:2: expected a readable body file, cannot read "\/nonexistent\/body\.json"/],
    ["empty", "\n# only a comment\n", /empty\.http:\d+: expected at least one target, the file has none/],
    ["scheme", `GET ftp://127.0.0.1/a\n`, /scheme\.http:1: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/127\.0\.0\.1\/a"/],
    ["origins", `GET ${origin}/a\n\nGET http://127.0.0.1:9/b\n`, new RegExp(`origins\\.http:3: expected every target on one origin, as the first: ${origin} \\(line 1\\), but this one is on http://127\\.0\\.0\\.1:9 \\(line 3\\)`)],
  ];
  for (const [name, text, message] of cases) {
    test(name, async () => {
      const path = file(`${name}.http`, text);
      const { code, stderr, stdout } = await bench(["closed", "--targets", path, "-n", "10"]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stdout).toBe("");
    });
  }

  test("a URL beside --targets, --targets with --serve, a bad --expect-status", async () => {
    const path = file("one.txt", `${origin}/a\n`);
    const both = await bench(["closed", `${origin}/`, "--targets", path]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--targets: the targets file names the URLs; give no URL with it");
    const served = await bench(["closed", "--serve", "--targets", path]);
    expect(served.code).toBe(2);
    expect(served.stderr).toContain("--targets and --serve");
    const status = await bench(["closed", `${origin}/`, "--expect-status", "20x"]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("--expect-status: expected status codes or classes such as 200,204 or 2xx");
  });
});
