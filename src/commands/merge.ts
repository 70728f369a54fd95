import { defineCommand } from "citty";
import type { ArgSpec, Command } from "./args.ts";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { writeAtomically } from "../report/files.ts";
import { mergeDocuments } from "../stats/merge-documents.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { formatCount, formatMs } from "../units.ts";
import { readResultDocument } from "../report/files.ts";

const args = {
  documents: { type: "positional", required: true, variadic: true, valueHint: "A.json B.json …", description: "Result documents of generators that ran together" },
  output: { type: "string", alias: "o", valueHint: "PATH", description: "Where to write the merged result document" },
  json: { type: "boolean", description: "The merged document on stdout" },
} as const satisfies Record<string, ArgSpec>;

const merge = defineCommand({
  meta: { name: "minibench merge", description: "Merge the result documents of load generators that ran at the same time, exactly" },
  args,
  run({ args: flags }) {
    const files = flags._.map(String);
    if (files.length < 2) throw new UsageError("merge: at least two result documents are needed: minibench merge A.json B.json … -o ALL.json");
    if (!flags.output && !flags.json) throw new UsageError("merge: say where the merged document goes: -o ALL.json (or --json for stdout)");
    const inputs = files.map((file) => ({ name: file, document: readResultDocument(file) }));

    const outcome = mergeDocuments(inputs);
    if (!outcome.ok) throw new UsageError(`merge: ${outcome.problem} (${files.join(", ")})`);
    for (const warning of outcome.warnings) log.warn(warning);
    const { document } = outcome;
    const json = `${JSON.stringify(document, null, 2)}\n`;
    if (flags.output) writeAtomically(flags.output, json);
    if (flags.json) process.stdout.write(json);

    const generators = document.options.generators;
    process.stderr.write(`merged ${files.length} documents (${generators} generators)${flags.output ? ` into ${flags.output}` : ""}\n`);
    for (const group of document.summary.groups) process.stderr.write(`  ${groupLine(group)}\n`);
  },
});

export default {
  ...merge,
  examples: ["minibench merge gen-0.json gen-1.json gen-2.json -o all.json"],
} satisfies Command;

/** One line per merged point: what the generators delivered together. */
function groupLine(group: GroupSummary): string {
  const point = group.targetRps === null ? `${group.phase} c=${group.concurrency}` : `${group.phase} ${formatCount(group.targetRps)} req/s`;
  const rate = group.achievedRps === null ? `${formatCount(group.throughputRps)} req/s` : `achieved ${formatCount(group.achievedRps)} req/s`;
  const latency = `p50 ${formatMs(group.latencyMs.p50)} ms, p99 ${formatMs(group.latencyMs.p99)} ms`;
  return `${point}: ${rate}, ${latency} (median of ${group.repeats} repeat${group.repeats === 1 ? "" : "s"}), ${formatCount(group.requests)} requests`;
}
