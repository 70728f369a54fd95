import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { validate } from "../support/json-schema.ts";
import schema from "../result.schema.json" with { type: "json" };
import { documentOf } from "../support/compare-documents.ts";
import { tempDir } from "../support/temp-dir.ts";

/** `minibench merge` end to end: the real CLI in a subprocess. */

const dir = tempDir("merge");
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
const START = new Date("2026-01-02T03:04:05.000Z");
const gen = (i: number, startOffsetMs = 0) =>
  file(`gen-${i}.json`, documentOf({ phase: "open", targetRps: 1000, concurrency: 300, startedAt: new Date(START.getTime() + startOffsetMs), options: { kind: "open", rateRps: 1000, concurrency: 300 } }));
const gens = [gen(0), gen(1), gen(2)];

describe("minibench merge", () => {
  test("A B C -o ALL: a valid document, rates summed, a line per point on stderr, nothing on stdout", async () => {
    const out = join(dir, "all.json");
    const { stdout, stderr, code } = await runCli(["merge", ...gens, "-o", out]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toContain("merged 3 documents (3 generators)");
    expect(stderr).toMatch(/open 3,000 req\/s: achieved 3,000 req\/s, p50 [\d.]+ ms/);
    const merged = JSON.parse(readFileSync(out, "utf8"));
    expect(validate(merged, schema)).toEqual([]);
    expect(merged.summary.groups).toHaveLength(1);
    expect(merged.summary.groups[0]).toMatchObject({ targetRps: 3000, concurrency: 900, repeats: 5, achievedRps: 3000 });
    // Written atomically: no temp file left beside it.
    expect(readdirSync(dir).filter((name) => name.includes(".tmp"))).toEqual([]);
  });

  test("--json prints the merged document on stdout", async () => {
    const { stdout, code } = await runCli(["merge", gens[0]!, gens[1]!, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).options.generators).toBe(2);
  });

  test("the merged file is a normal document: report renders it, compare reads it", async () => {
    const out = join(dir, "all-2.json");
    expect((await runCli(["merge", ...gens, "-o", out])).code).toBe(0);
    const html = join(dir, "all-2.html");
    expect((await runCli(["report", out, "-o", html])).code).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("3,000");
    const compared = await runCli(["compare", out, out, "--json"]);
    expect(compared.code).toBe(0);
    expect(JSON.parse(compared.stdout).points[0].label).toBe("open 3,000 req/s");
  });

  test("generators that did not run together: merged, with a warning on stderr", async () => {
    const out = join(dir, "late.json");
    const { stderr, code } = await runCli(["merge", gens[0]!, gen(3, 60_000), "-o", out]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/the runs did not overlap in time: .*gen-3\.json started 60\.000 s after .*gen-0\.json/);
    expect(existsSync(out)).toBe(true);
  });

  test("generators with different options: a warning naming them", async () => {
    const other = file("other.json", documentOf({ phase: "open", targetRps: 1000, concurrency: 300, startedAt: START, options: { kind: "open", rateRps: 1000, concurrency: 300, arrival: "poisson" } }));
    const { stderr, code } = await runCli(["merge", gens[0]!, other, "--json"]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/other\.json ran with different options than .*gen-0\.json: arrival undefined vs "poisson"/);
  });

  const errors: [string, () => string[], RegExp][] = [
    ["one document", () => [gens[0]!, "-o", join(dir, "x.json")], /at least two result documents are needed/],
    ["no output", () => [gens[0]!, gens[1]!], /say where the merged document goes: -o ALL\.json/],
    ["a missing file", () => [gens[0]!, join(dir, "missing.json"), "-o", join(dir, "x.json")], /missing\.json: cannot read the result document \(no such file\)/],
    ["invalid JSON", () => [file("broken.json", "[1,"), gens[0]!, "-o", join(dir, "x.json")], /broken\.json: not valid JSON/],
    ["nothing in common", () => [gens[0]!, file("closed.json", documentOf()), "-o", join(dir, "x.json")], /nothing to merge: no run .* appears in more than one document/],
  ];
  test.each(errors)("%s: exit 2, one line, nothing written", async (_, args, message) => {
    const { stdout, stderr, code } = await runCli(["merge", ...args()]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(dir, "x.json"))).toBe(false);
  });
});
