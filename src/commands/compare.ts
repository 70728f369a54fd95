import { type ArgsDef, defineCommand } from "citty";
import type { Command } from "./args.ts";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { writeCompareHtml } from "../report/compare-html.ts";
import { comparisonTable, formatChange, formatNoise } from "../report/compare-table.ts";
import type { ResultDocument } from "../stats/document.ts";
import { compareDocuments, DEFAULT_COMPARE_SETTINGS, gate, METRIC_LABELS, repeatsForVerdict, type Comparison, type GateFinding } from "../stats/compare.ts";
import { VERSION } from "../version.ts";
import { readResultDocument } from "../report/files.ts";

const args = {
  base: { type: "positional", required: true, valueHint: "BASE.json", description: "The result document to compare against" },
  new: { type: "positional", required: true, valueHint: "NEW.json", description: "The result document under test" },
  json: { type: "boolean", description: "The comparison as JSON on stdout" },
  report: { type: "string", valueHint: "PATH", description: "Write an HTML page: both sides, both latency curves on one chart" },
  "fail-regression": { type: "string", valueHint: "PCT", description: "Exit 3 when a metric got worse beyond the noise by more than PCT %; exit 2 when the repeats are too few to judge" },
  "min-effect": { type: "string", valueHint: "PCT", default: String(DEFAULT_COMPARE_SETTINGS.minEffectPct), description: "Smallest change in % worth a verdict" },
} as const satisfies ArgsDef;

const compare = defineCommand({
  meta: { name: "minibench compare", description: "Compare two result documents metric by metric, beyond run-to-run noise" },
  args,
  run({ args: flags }) {
    if (!flags.base || !flags.new) throw new UsageError("compare: two result documents are needed: minibench compare BASE.json NEW.json");
    const failPct = flags["fail-regression"] === undefined ? null : parsePercent("--fail-regression", flags["fail-regression"]);
    const minEffectPct = parsePercent("--min-effect", flags["min-effect"]);
    const names = { base: flags.base, new: flags.new };
    const base = readResultDocument(flags.base);
    const next = readResultDocument(flags.new);

    const comparison = compareDocuments(base, next, { ...DEFAULT_COMPARE_SETTINGS, minEffectPct });
    if (comparison.points.length === 0) {
      const points = (list: string[]) => (list.length > 0 ? list.join(", ") : "no measured point");
      throw new UsageError(
        `compare: nothing to match: ${flags.base} has ${points(comparison.unmatched.base)}; ${flags.new} has ${points(comparison.unmatched.new)} (points match by phase, concurrency and target rate)`,
      );
    }
    process.stderr.write(`\n${comparisonTable(comparison, names)}\n\n`);
    const verdict = failPct === null ? null : gate(comparison, failPct);
    if (flags.json) process.stdout.write(`${JSON.stringify(comparisonJson(comparison, base, next, names, failPct, verdict), null, 2)}\n`);
    if (flags.report) {
      writeCompareHtml(comparison, base, next, names, flags.report);
      log.info(`report: ${flags.report}`);
    }
    if (verdict === null) return 0;
    for (const { point, metric } of verdict.regressions) {
      const evidence = metric.verdict === "needs repeats" ? "every new repeat worse than every base repeat" : `noise ${formatNoise(metric.noisePct)}`;
      log.error(`${point.label}: ${METRIC_LABELS[metric.metric]} ${formatChange(metric.changePct)} (${evidence}) is worse than --fail-regression ${failPct}%`);
    }
    if (verdict.regressions.length > 0) return 3;
    if (verdict.unjudged.length > 0) {
      // A gate that cannot judge must not pass: exit 2, and say what would let it judge.
      log.error(unjudgedReason(verdict.unjudged, failPct!));
      return 2;
    }
    return 0;
  },
});

export default {
  ...compare,
  examples: ["minibench compare base.json new.json --report compare.html", "minibench compare base.json new.json --fail-regression 10"],
} satisfies Command;

function unjudgedReason(unjudged: GateFinding[], failPct: number): string {
  const { point, metric } = unjudged[0]!;
  const needed = repeatsForVerdict(point.alphaPerMetric);
  const others = unjudged.length > 1 ? ` and ${unjudged.length - 1} more` : "";
  return (
    `--fail-regression ${failPct}%: cannot judge ${point.label} ${METRIC_LABELS[metric.metric]}${others} from ${point.base.repeats} vs ${point.new.repeats} repeats, ` +
    `and no change is beyond both sides' ranges by more than ${failPct}%: run both with --repeat ${needed} or more`
  );
}

/** `5`, `5%`, `2.5`: a non-negative percentage. */
function parsePercent(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  if (!match) throw new UsageError(`${flag}: expected a percentage (e.g. 5 or 5%), got ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** Bumped whenever a field of the comparison changes meaning or goes away; `tests/comparison.schema.json` describes it. */
export const COMPARISON_SCHEMA_VERSION = 1;

function comparisonJson(
  comparison: Comparison,
  base: ResultDocument,
  next: ResultDocument,
  names: { base: string; new: string },
  failPct: number | null,
  verdict: ReturnType<typeof gate> | null,
) {
  const side = (file: string, document: ResultDocument) => ({ file, url: document.url, mode: document.mode, startedAt: document.startedAt, version: document.version });
  const listed = (findings: GateFinding[]) => findings.map(({ point, metric }) => ({ point: point.label, metric: metric.metric, changePct: metric.changePct }));
  return {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    tool: "minibench",
    kind: "comparison",
    version: VERSION,
    base: side(names.base, base),
    new: side(names.new, next),
    ...comparison,
    ...(failPct === null || verdict === null ? {} : { failRegressionPct: failPct, regressions: listed(verdict.regressions), unjudged: listed(verdict.unjudged) }),
  };
}
