import { join } from "node:path";
import type { BenchPlan } from "../config/plan.ts";
import { formatStages } from "../schedule/stages.ts";
import { log } from "../log.ts";
import { formatCount } from "../units.ts";
import { capacityExceeded, type ResultDocument } from "../stats/document.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { decodeHistogram, hgrm, mergeHistograms } from "../stats/histogram.ts";
import { csv, documentLines, type CsvContext } from "./csv.ts";
import { checkWritable, ensureDirectory, writeAtomically } from "./files.ts";
import { writeHtmlReport } from "./html.ts";
import { capacityNarrative, presetNarrative } from "./narrative.ts";
import { capacityTable, closedTable, openTable, sweepTable, workloadTable } from "./table.ts";

/**
 * Every path the results will go to, checked before any load is sent: a run of minutes must not
 * end in "cannot write". Creates the preset's `--out-dir` as `mkdir -p` does.
 */
export function prepareOutputs({ output, run }: BenchPlan): void {
  if (run.kind === "preset") ensureDirectory("--out-dir", run.outDir);
  const files: [string, string | null][] = [
    ["--out", output.outPath],
    ["--csv", output.csvPath],
    ["--hgrm", output.hgrmPath],
    ["--report", output.reportPath],
  ];
  for (const [flag, path] of files) if (path !== null) checkWritable(flag, path);
}

/** Everything a bench run shows and writes once it is measured: tables on stderr, then the files asked for. */
export function writeOutputs(document: ResultDocument, plan: BenchPlan): void {
  const { output, run } = plan;
  if (!output.quiet) process.stderr.write(`\n${describeRun(plan)}\n\n${tables(document)}\n\n`);
  for (const warning of new Set(document.runs.flatMap((r) => r.warnings ?? []))) log.warn(warning);
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (output.json) process.stdout.write(json);
  if (output.outPath) writeAtomically(output.outPath, json);

  const context: CsvContext = { batchTs: document.startedAt, url: document.url, profile: run.kind === "preset" ? run.profileName : "" };
  if (run.kind === "preset") {
    context.phaseName = (group) => (group.phase === "open" ? "open_loop" : "closed_sweep");
    const path = join(run.outDir, `preset_${run.profileName}_${fileTimestamp(new Date(document.startedAt))}.csv`);
    writeAtomically(path, csv(documentLines(document), context));
    if (!output.quiet) log.info(`wrote ${path}`);
  }
  if (output.csvPath) writeAtomically(output.csvPath, csv(documentLines(document), context));
  if (output.hgrmPath) {
    const merged = mergeHistograms(document.runs.map((r) => decodeHistogram(r.histogram)));
    writeAtomically(output.hgrmPath, hgrm(merged));
  }
  if (output.reportPath) {
    writeHtmlReport(document, output.reportPath);
    if (!output.quiet) log.info(`report: ${output.reportPath}`);
  }
}

function tables(document: ResultDocument): string {
  const { groups, sweep, preset, capacity } = document.summary;
  const parts: string[] = [];
  // A search's probes are one table, not a table per rate; a preset's levels then get theirs.
  if (capacity) parts.push(`${capacityTable(capacity)}\n\n${capacityNarrative(capacity)}`);
  const isLevel = (group: GroupSummary) => group.phase === "open" && preset?.levels.some((level) => level.targetRps === group.targetRps) === true;
  const shown = capacity ? groups.filter(isLevel) : groups;
  const sweepGroups = shown.filter((group) => group.phase === "sweep");
  if (sweepGroups.length > 0) parts.push(sweepTable(sweepGroups, sweep ?? { best: null, knee: null }));
  const others = shown.filter((g) => g.phase !== "sweep");
  for (const group of others) {
    const runs = document.runs.filter((r) => r.phase === group.phase && r.concurrency === group.concurrency && r.targetRps === group.targetRps);
    const exceeded = preset ? capacityExceeded(preset, group) : null;
    const workload = workloadTable(runs);
    const table = (group.phase === "open" ? openTable(runs, group) : closedTable(runs, group)) + (exceeded ? `\n${exceeded}` : "") + (workload ? `\n\n${workload}` : "");
    parts.push(others.length > 1 || sweepGroups.length > 0 || capacity ? `${pointName(group)}\n${table}` : table);
  }
  if (preset) parts.push(presetNarrative(preset, groups, document.runs));
  return parts.join("\n\n");
}

export const pointName = (group: { phase: string; concurrency: number; targetRps: number | null }) =>
  group.targetRps === null ? `${group.phase} loop, concurrency ${group.concurrency}` : `${group.phase} loop at ${formatCount(group.targetRps)} req/s`;

export function describeRun({ load, run }: BenchPlan): string {
  const connection = load.keepAlive ? "keep-alive" : "new connection per request";
  const pipeline = load.pipeline > 1 ? `, pipeline ${load.pipeline}` : "";
  const threads = load.threads > 1 ? `, ${load.threads} threads` : "";
  const how = `${connection}${pipeline}${threads}`;
  const url = load.workload ? `${load.workload.file} (${formatCount(load.workload.pool.count)} targets on ${load.target.url}, ${load.workload.script?.pick ? "pick(i)" : load.workload.order})` : load.target.url;
  switch (run.kind) {
    case "closed": {
      const amount = run.durationS === null ? `${run.requests} requests` : `${run.durationS} s`;
      const connections = run.stages ? `connections in stages from ${run.startConnections ?? 0}: ${formatStages(run.stages)}` : `${run.concurrency} connections`;
      return `closed loop ${url}: ${connections}, ${amount} × ${run.repeat}, ${how}`;
    }
    case "open":
      const rate = run.stages ? `stages from ${run.rateRps} req/s: ${formatStages(run.stages)}` : `${run.rateRps} req/s`;
      return `open loop ${url}: ${rate} (${run.arrival}) for ${run.durationS} s × ${run.repeat}, cap ${run.concurrency}, backlog ${run.backlog}, ${how}`;
    case "sweep":
      return `sweep ${url}: concurrencies ${run.concurrencies.join(",")}, ${run.requests} requests × ${run.repeat} each, ${how}`;
    case "capacity": {
      const slo = `p99 ≤ ${run.slo.p99Ms} ms${run.slo.errorRate > 0 ? `, errors ≤ ${run.slo.errorRate}` : ""}`;
      return `capacity ${url}: the highest open-loop rate within ${slo}; ${run.probeS} s probes to ${Math.round(run.tolerance * 100)}%, confirmed over ${run.confirmS} s (${run.arrival}, cap ${run.concurrency}), ${how}`;
    }
    case "preset":
      return `preset ${run.profileName} ${url}: ${run.calibrate === "capacity" ? `open-loop capacity within p99 ≤ ${run.profile.sloP99Ms} ms` : "calibration sweep"}, then open loop at ${run.profile.open.levels.map((l) => `${Math.round(l * 100)}%`).join(", ")} of capacity, ${how}`;
  }
}

/** `20261129_043000`: sortable, and safe in a file name on every OS. */
function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
}

