import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { documentOf } from "../support/compare-documents.ts";
import { tempDir } from "../support/temp-dir.ts";
import { validate } from "../support/json-schema.ts";
import comparisonSchema from "../comparison.schema.json" with { type: "json" };

/** `minibench compare` end to end on documents with known differences: the real CLI in a subprocess. */

const dir = tempDir("compare");
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
const base = file("base.json", documentOf());
const slower = file("slower.json", documentOf({ latencyScale: 1.3, rateScale: 1 / 1.3 }));
const same = file("same.json", documentOf());
const fewRepeats = file("few.json", documentOf({ repeats: 3 }));
const fewSlightlySlower = file("few-slower.json", documentOf({ repeats: 3, latencyScale: 1.003, rateScale: 1 / 1.003 }));
const fewCollapsed = file("few-collapsed.json", documentOf({ repeats: 3, latencyScale: 50, rateScale: 0.02 }));

describe("minibench compare", () => {
  test("a 30% slowdown: the table on stderr, every metric slower, exit 0 without a gate", async () => {
    const { stdout, stderr, code } = await runCli(["compare", base, slower]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toContain("closed c=20 · 5 vs 5 repeats");
    expect(stderr).toMatch(/p50 ms\s+[\d.]+\s+[\d.]+\s+\+30%\s+[\d.]+%\s+0\.008\s+slower/);
    expect(stderr.match(/ slower\n/g)).toHaveLength(6);
  });

  test("--json prints the comparison alone on stdout", async () => {
    const { stdout, code } = await runCli(["compare", base, slower, "--json"]);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ tool: "minibench", kind: "comparison", base: { file: base }, new: { file: slower }, settings: { alpha: 0.05, minEffectPct: 5 } });
    expect(json.points[0].metrics.map((m: { verdict: string }) => m.verdict)).toEqual(Array(6).fill("slower"));
  });

  test("--fail-regression PCT: exit 3 when a metric got worse by more than PCT, naming it; 0 below", async () => {
    const failing = await runCli(["compare", base, slower, "--fail-regression", "10"]);
    expect(failing.code).toBe(3);
    expect(failing.stderr).toMatch(/closed c=20: p99 \+30% \(noise [\d.]+%\) is worse than --fail-regression 10%/);
    expect((await runCli(["compare", base, slower, "--fail-regression", "50%"])).code).toBe(0);
    // Faster is never a regression.
    expect((await runCli(["compare", slower, base, "--fail-regression", "1"])).code).toBe(0);
  });

  test("the same data: no significant change, --fail-regression 0 passes", async () => {
    const { stderr, code } = await runCli(["compare", base, same, "--fail-regression", "0"]);
    expect(code).toBe(0);
    expect(stderr.match(/no significant change\n/g)).toHaveLength(6);
  });

  test("3 repeats a side and a change inside the noise: the gate cannot judge, exit 2 naming --repeat — never 0", async () => {
    const { stderr, code } = await runCli(["compare", fewRepeats, fewSlightlySlower, "--fail-regression", "1"]);
    expect(stderr.match(/needs repeats\n/g)).toHaveLength(6);
    expect(code).toBe(2);
    const reason = stderr.trim().split("\n").at(-1)!;
    expect(reason).toContain("--fail-regression 1%: cannot judge closed c=20 throughput and 5 more from 3 vs 3 repeats");
    expect(reason).toContain("run both with --repeat 5 or more");
    // Without a gate nothing is judged, and nothing fails.
    expect((await runCli(["compare", fewRepeats, fewSlightlySlower])).code).toBe(0);
  });

  test("3 repeats a side and a 98% throughput drop: so far beyond both ranges that it is judged, exit 3", async () => {
    const { stderr, code } = await runCli(["compare", fewRepeats, fewCollapsed, "--fail-regression", "10"]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/closed c=20: throughput −98% \(every new repeat worse than every base repeat\) is worse than --fail-regression 10%/);
    // The same collapse the other way round is an improvement: judged, and no regression.
    expect((await runCli(["compare", fewCollapsed, fewRepeats, "--fail-regression", "10"])).code).toBe(0);
  });

  test("--json carries schemaVersion and matches tests/comparison.schema.json, with the gate's findings", async () => {
    for (const args of [[base, slower], [base, slower, "--fail-regression", "10"], [fewRepeats, fewSlightlySlower, "--fail-regression", "1"]]) {
      const { stdout } = await runCli(["compare", ...args, "--json"]);
      const json = JSON.parse(stdout);
      expect(validate(json, comparisonSchema)).toEqual([]);
      expect(json.schemaVersion).toBe(1);
    }
    const gated = JSON.parse((await runCli(["compare", fewRepeats, fewSlightlySlower, "--fail-regression", "1", "--json"])).stdout);
    expect(gated.unjudged).toHaveLength(6);
    expect(gated.regressions).toEqual([]);
  });

  test("--report writes one HTML page with both sides and both curves on one chart", async () => {
    const out = join(dir, "compare.html");
    const { code } = await runCli(["compare", base, slower, "--report", out]);
    expect(code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toStartWith("<!DOCTYPE html>");
    expect(html).toContain("base.json");
    expect(html).toContain("slower.json");
    expect(html.match(/<svg/g)).toHaveLength(1);
    // Both curves, one per side and each in its own colour, in the one chart (legend swatches are short "h" paths).
    const curves = [...html.matchAll(/class="line" stroke="([^"]+)" d="M[\d.]+ [\d.]+L/g)].map((m) => m[1]);
    expect(curves).toHaveLength(2);
    expect(new Set(curves).size).toBe(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  // Each bad input: exit 2 and one line naming the file or the flag, nothing on stdout.
  const errors: [string, () => string[], RegExp][] = [
    ["a missing file", () => [base, join(dir, "missing.json")], /missing\.json: cannot read the result document \(no such file\)/],
    ["invalid JSON", () => [file("broken.json", "{"), base], /broken\.json: not valid JSON/],
    ["not a result document", () => [base, file("wrk.json", { tool: "wrk" })], /wrk\.json: not a minibench result document/],
    ["one document only", () => [base], /two result documents are needed/],
    ["nothing to match", () => [base, file("open.json", documentOf({ phase: "open", targetRps: 500 }))], /nothing to match: .*base\.json has closed c=20; .*open\.json has open 500 req\/s/],
    ["a bad --fail-regression", () => [base, slower, "--fail-regression", "lots"], /--fail-regression: expected a percentage/],
  ];
  test.each(errors)("%s: exit 2, one line", async (_, args, message) => {
    const { stdout, stderr, code } = await runCli(["compare", ...args(), "--json"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  test("nothing is written when the documents cannot be compared", async () => {
    const out = join(dir, "never.html");
    await runCli(["compare", base, join(dir, "missing.json"), "--report", out]);
    expect(existsSync(out)).toBe(false);
  });
});
