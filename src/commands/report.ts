import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { SCHEMA_VERSION, type ResultDocument } from "../report/document.ts";
import { writeHtmlReport } from "../report/html.ts";
import { decodeHistogram } from "../stats/histogram.ts";

const args = {
  result: { type: "positional", required: false, valueHint: "RESULT.json", description: "A result document (written by --json or --out)" },
  output: { type: "string", alias: "o", description: "Where to write the HTML report (default: RESULT.html beside the document)" },
} as const;

export default defineCommand({
  meta: { name: "minibench report", description: "Render a result document as a self-contained HTML report" },
  args,
  run({ args: flags }) {
    if (!flags.result) throw new UsageError("report: a result document is needed: minibench report RESULT.json -o report.html");
    const document = readResultDocument(flags.result);
    const output = flags.output || flags.result.replace(/(\.json)?$/i, ".html");
    writeHtmlReport(document, output);
    log.info(`wrote ${output}`);
  },
});

/**
 * A result document from a file, checked enough that rendering cannot fail half-way: every
 * problem becomes one line naming the file, never a stack trace.
 */
export function readResultDocument(path: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UsageError(`${path}: cannot read the result document (${code === "ENOENT" ? "no such file" : message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const problem = documentProblem(value);
  if (problem) throw new UsageError(`${path}: not a minibench result document (${problem})`);
  return value as ResultDocument;
}

/** What keeps `value` from being a document this version can render, or null when nothing does. */
function documentProblem(value: unknown): string | null {
  const document = value as Partial<ResultDocument> | null;
  if (document === null || typeof document !== "object" || Array.isArray(document)) return "expected a JSON object";
  if (document.tool !== "minibench") return `"tool" is ${JSON.stringify(document.tool)}, expected "minibench"`;
  if (typeof document.schemaVersion !== "number" || document.schemaVersion > SCHEMA_VERSION) {
    return `schemaVersion ${JSON.stringify(document.schemaVersion)}; this minibench reads ${SCHEMA_VERSION}`;
  }
  if (!Array.isArray(document.runs)) return `"runs" is not a list`;
  if (!Array.isArray(document.summary?.groups)) return `"summary.groups" is not a list`;
  // Histograms are the data the charts are drawn from: a corrupt one must fail here, named.
  const histograms: [string, unknown][] = [
    ...document.runs.flatMap((run, i): [string, unknown][] => [
      [`runs[${i}].histogram`, run?.histogram],
      ...(run?.serviceHistogram === undefined ? [] : [[`runs[${i}].serviceHistogram`, run.serviceHistogram] as [string, unknown]]),
    ]),
    ...document.summary.groups.map((group, i): [string, unknown] => [`summary.groups[${i}].merged.histogram`, group?.merged?.histogram]),
  ];
  for (const [where, encoded] of histograms) {
    if (typeof encoded !== "string") return `${where} is missing`;
    try {
      decodeHistogram(encoded);
    } catch {
      return `${where} is not an encoded HdrHistogram`;
    }
  }
  return null;
}
