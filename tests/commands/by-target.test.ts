import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { validate } from "../support/json-schema.ts";
import { loginDocument } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";
import comparisonSchema from "../comparison.schema.json" with { type: "json" };

/** Result documents of request pools through the real CLI: compare and report show their targets. */

const dir = tempDir("by-target");
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}
const base = file("base.json", loginDocument(6, 1, "GET /old"));
const slower = file("slower.json", loginDocument(6, 1.5, "GET /new"));

describe("request pools through the CLI", () => {
  test("compare: a table of the targets under the point's, the slower one called, those on one side named", async () => {
    const { stderr, code } = await runCli(["compare", base, slower]);
    expect(code).toBe(0);
    expect(stderr).toContain("per target (p ≤ 0.005 for a verdict)");
    expect(stderr).toMatch(/login\s+[\d.]+\s+[\d.]+\s+\+5\d%\s+[\d.]+\s+[\d.]+\s+\+\d+%\s+p50 slower, p90 slower/);
    expect(stderr).toMatch(/GET \/items\s+[\d.]+\s+[\d.]+\s+\S+\s+[\d.]+\s+[\d.]+\s+\S+\s+no significant change/);
    expect(stderr).toContain(`targets only in ${base}: GET /old (closed c=4)`);
    expect(stderr).toContain(`targets only in ${slower}: GET /new (closed c=4)`);
  });

  test("compare --json: per-target comparisons that match the schema; --report: a per-target table", async () => {
    const json = JSON.parse((await runCli(["compare", base, slower, "--json"])).stdout);
    expect(validate(json, comparisonSchema)).toEqual([]);
    expect(json.points[0].byTarget.targets.map((t: { name: string }) => t.name)).toEqual(["login", "GET /items"]);
    const out = join(dir, "compare.html");
    expect((await runCli(["compare", base, slower, "--report", out])).code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain('<table class="targets">');
    expect(html).toMatch(/<td>login<\/td>.*<td class="verdict slower">p50 slower/);
  });

  test("report: the per-target section from a saved document", async () => {
    const out = join(dir, "report.html");
    expect((await runCli(["report", base, "-o", out])).code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("Latency by percentile, per target");
    expect(html).toContain("<td>GET /old</td>");
  });
});
