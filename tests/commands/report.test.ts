import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderHtmlReport } from "../../src/report/html.ts";
import { closedDocument } from "../support/documents.ts";
import { tempDir } from "../support/temp-dir.ts";

/** `minibench report` end to end: the real CLI in a subprocess. */

const CLI = join(import.meta.dir, "../../src/cli.ts");
const dir = tempDir("report");
const document = closedDocument();
const documentPath = join(dir, "result.json");
writeFileSync(documentPath, JSON.stringify(document));

async function report(args: string[]) {
  const child = Bun.spawn([process.execPath, CLI, "report", ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("minibench report", () => {
  test("RESULT.json -o PATH writes the HTML report there, nothing on stdout", async () => {
    const out = join(dir, "out.html");
    const { stdout, code } = await report([documentPath, "-o", out]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe(renderHtmlReport(document));
  });

  test("without -o, the report goes beside the document as RESULT.html", async () => {
    const path = file("beside.json", JSON.stringify(document));
    const { code } = await report([path]);
    expect(code).toBe(0);
    expect(existsSync(join(dir, "beside.html"))).toBe(true);
  });

  // Each bad input: exit 2 and one line naming the file, no stack trace, nothing written.
  const badInputs: [string, () => string, RegExp][] = [
    ["a missing file", () => join(dir, "missing.json"), /cannot read the result document \(no such file\)/],
    ["invalid JSON", () => file("broken.json", '{"tool": "minibench",'), /not valid JSON/],
    ["JSON that is not a minibench document", () => file("other.json", '{"tool": "wrk", "runs": []}'), /not a minibench result document \("tool" is "wrk"/],
    [
      "a document with a corrupt histogram",
      () => file("corrupt.json", JSON.stringify({ ...document, runs: [{ ...document.runs[0], histogram: "HISTFnot-base64" }] })),
      /not a minibench result document \(runs\[0\]\.histogram is not an encoded HdrHistogram\)/,
    ],
  ];
  for (const [name, makePath, message] of badInputs) {
    test(`${name}: exit 2 with a one-line message naming the file`, async () => {
      const path = makePath();
      const out = join(dir, `${name.replaceAll(" ", "-")}.html`);
      const { stderr, code } = await report([path, "-o", out]);
      expect(code).toBe(2);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toContain(path);
      expect(stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  test("no document given: exit 2 with the usage", async () => {
    const { stderr, code } = await report([]);
    expect(code).toBe(2);
    expect(stderr).toContain("minibench report RESULT.json -o report.html");
  });
});
