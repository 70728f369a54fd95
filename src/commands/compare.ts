import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { writeCompareHtml } from "../report/compare-html.ts";
import { comparisonTable, formatChange, formatNoise } from "../report/compare-table.ts";
import type { ResultDocument } from "../stats/document.ts";
import { compareDocuments, DEFAULT_COMPARE_SETTINGS, METRIC_LABELS, regressions, type Comparison } from "../stats/compare.ts";
import { VERSION } from "../version.ts";
import { readResultDocument } from "../report/files.ts";

const args = {
  base: { type: "positional", required: false, valueHint: "BASE.json", description: "The result document to compare against" },
  new: { type: "positional", required: false, valueHint: "NEW.json", description: "The result document under test" },
  json: { type: "boolean", description: "The comparison as JSON on stdout" },
  report: { type: "string", description: "Write an HTML page: both sides, both latency curves on one chart" },
  "fail-regression": { type: "string", valueHint: "PCT", description: "Exit 3 when a metric got worse beyond the noise by more than PCT %" },
  "min-effect": { type: "string", valueHint: "PCT", default: String(DEFAULT_COMPARE_SETTINGS.minEffectPct), description: "Smallest change in % worth a verdict" },
} as const;

export default defineCommand({
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
    const failures = failPct === null ? [] : regressions(comparison, failPct);
    if (flags.json) process.stdout.write(`${JSON.stringify(comparisonJson(comparison, base, next, names, failPct, failures), null, 2)}\n`);
    if (flags.report) {
      writeCompareHtml(comparison, base, next, names, flags.report);
      log.info(`report: ${flags.report}`);
    }
    for (const { point, metric } of failures) {
      log.error(`${point.label}: ${METRIC_LABELS[metric.metric]} ${formatChange(metric.changePct)} (noise ${formatNoise(metric.noisePct)}) is worse than --fail-regression ${failPct}%`);
    }
    return failures.length > 0 ? 3 : 0;
  },
});

/** `5`, `5%`, `2.5`: a non-negative percentage. */
function parsePercent(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  if (!match) throw new UsageError(`${flag}: expected a percentage (e.g. 5 or 5%), got ${JSON.stringify(text)}`);
  return Number(match[1]);
}

function comparisonJson(comparison: Comparison, base: ResultDocument, next: ResultDocument, names: { base: string; new: string }, failPct: number | null, failures: ReturnType<typeof regressions>) {
  const side = (file: string, document: ResultDocument) => ({ file, url: document.url, mode: document.mode, startedAt: document.startedAt, version: document.version });
  return {
    tool: "minibench",
    kind: "comparison",
    version: VERSION,
    base: side(names.base, base),
    new: side(names.new, next),
    ...comparison,
    ...(failPct === null ? {} : { failRegressionPct: failPct, regressions: failures.map(({ point, metric }) => ({ point: point.label, metric: metric.metric, changePct: metric.changePct })) }),
  };
}
