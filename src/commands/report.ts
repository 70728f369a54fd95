import { type ArgsDef, defineCommand } from "citty";
import type { Command } from "./args.ts";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { readResultDocument } from "../report/files.ts";
import { writeHtmlReport } from "../report/html.ts";

const args = {
  result: { type: "positional", required: true, valueHint: "RESULT.json", description: "A result document (written by --json or --out)" },
  output: { type: "string", alias: "o", valueHint: "PATH", description: "Where to write the HTML report (default: RESULT.html beside the document)" },
} as const satisfies ArgsDef;

const report = defineCommand({
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

export default {
  ...report,
  examples: ["minibench report result.json -o result.html"],
} satisfies Command;
