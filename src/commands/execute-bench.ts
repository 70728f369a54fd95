import type { OutputPlan } from "../config/bench-plan.ts";
import type { LoadOptions, ModeRun } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { csv, type CsvContext } from "../report/csv.ts";
import { resultDocument, type ResultDocument } from "../report/document.ts";
import { writeAtomically } from "../report/files.ts";
import { writeHtmlReport } from "../report/html.ts";
import { presetNarrative } from "../report/narrative.ts";
import { Progress } from "../report/progress.ts";
import { closedTable, openTable, sweepTable } from "../report/table.ts";
import { runPreset, runSweep, type Measured, type RunStep } from "../schedule/modes.ts";
import { runLoad } from "../schedule/threads.ts";
import { decodeHistogram, hgrm, mergeHistograms } from "../stats/histogram.ts";
import type { RunResult } from "../stats/result.ts";
import { summarizeRepeats, totalErrors } from "../stats/summary.ts";
import { join } from "node:path";

export interface BenchPlan {
  load: LoadOptions;
  run: ModeRun;
  output: OutputPlan;
}

/**
 * The body shared by every bench mode: wait for `--start-at`, run the mode's steps with Ctrl-C
 * handled (what completed is still reported, exit 130), report, and decide the exit code.
 */
export async function executeBench(plan: BenchPlan): Promise<number> {
  const { load, run, output } = plan;
  if (output.startAtMs !== null) await waitUntil(output.startAtMs, output.quiet);

  const interrupt = new AbortController();
  const onSigint = () => {
    if (!output.quiet) log.warn("interrupted: reporting what completed");
    interrupt.abort();
  };
  process.once("SIGINT", onSigint);
  const startedAt = new Date();
  const progress = Progress.enabled(output.progress) ? new Progress() : null;
  const runStep: RunStep = (step, phase, label) => {
    progress?.begin(label, step.repeat);
    // Without a terminal, a multi-step run still says where it is, one line per step.
    if (!output.quiet && !progress && (run.kind === "sweep" || run.kind === "preset")) log.info(label);
    return runLoad(load, step, phase, { signal: interrupt.signal, onTally: (tally, repeat) => progress?.watch(tally, repeat) });
  };
  let measured: Measured;
  try {
    if (run.kind === "sweep") measured = await runSweep(run, runStep, interrupt.signal);
    else if (run.kind === "preset") measured = await runPreset(run, runStep, interrupt.signal);
    else measured = { runs: await runStep(run, run.kind, run.kind), findings: {} };
  } finally {
    progress?.stop();
    process.off("SIGINT", onSigint);
  }

  const { runs, findings } = measured;
  const groups = summarizeRepeats(runs);
  const document = resultDocument(run.kind, load.target.url, startedAt, describe(plan), runs, groups, interrupt.signal.aborted, findings);
  report(document, plan);

  if (interrupt.signal.aborted) return 130;
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const failures = runs.reduce((sum, r) => sum + totalErrors(r.errors), 0);
  if (requests > 0 && failures === requests) throw new RunError(`every request failed (${describeErrors(runs)})`);
  return thresholdsExceeded(document, output) ? 3 : 0;
}

function report(document: ResultDocument, plan: BenchPlan): void {
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
    writeAtomically(path, csv(document.summary.groups, context));
    if (!output.quiet) log.info(`wrote ${path}`);
  }
  if (output.csvPath) writeAtomically(output.csvPath, csv(document.summary.groups, context));
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
  const { groups, sweep, preset } = document.summary;
  const parts: string[] = [];
  const sweepGroups = groups.filter((group) => group.phase === "sweep");
  if (sweepGroups.length > 0) parts.push(sweepTable(sweepGroups, sweep ?? { best: null, knee: null }));
  const others = groups.filter((g) => g.phase !== "sweep");
  for (const group of others) {
    const runs = document.runs.filter((r) => r.phase === group.phase && r.concurrency === group.concurrency && r.targetRps === group.targetRps);
    const table = group.phase === "open" ? openTable(runs, group) : closedTable(runs, group);
    parts.push(others.length > 1 || sweepGroups.length > 0 ? `${pointName(group)}\n${table}` : table);
  }
  if (preset) parts.push(presetNarrative(preset, groups));
  return parts.join("\n\n");
}

function thresholdsExceeded(document: ResultDocument, output: OutputPlan): boolean {
  let exceeded = false;
  for (const group of document.summary.groups) {
    if (output.failP99Ms !== null && group.latencyMs.p99 > output.failP99Ms) {
      log.error(`p99 ${group.latencyMs.p99.toFixed(2)} ms is above --fail-p99 ${output.failP99Ms} ms (${pointName(group)})`);
      exceeded = true;
    }
    const rate = group.requests > 0 ? totalErrors(group.errors) / group.requests : 0;
    if (output.failErrorRate !== null && rate > output.failErrorRate) {
      log.error(`error rate ${rate.toFixed(4)} is above --fail-error-rate ${output.failErrorRate} (${pointName(group)})`);
      exceeded = true;
    }
  }
  return exceeded;
}

const pointName = (group: { phase: string; concurrency: number; targetRps: number | null }) =>
  group.targetRps === null ? `${group.phase} loop, concurrency ${group.concurrency}` : `${group.phase} loop at ${group.targetRps} req/s`;

function describeErrors(runs: RunResult[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) for (const [kind, n] of Object.entries(run.errors)) counts.set(kind, (counts.get(kind) ?? 0) + n);
  return [...counts].filter(([, n]) => n > 0).map(([kind, n]) => `${kind}: ${n}`).join(", ");
}

function describe({ load, run }: BenchPlan): Record<string, unknown> {
  const { target, ...rest } = load;
  const method = new TextDecoder().decode(target.request.subarray(0, target.request.indexOf(0x20)));
  return { method, ...rest, ...run };
}

function describeRun({ load, run }: BenchPlan): string {
  const connection = load.keepAlive ? "keep-alive" : "new connection per request";
  const pipeline = load.pipeline > 1 ? `, pipeline ${load.pipeline}` : "";
  const threads = load.threads > 1 ? `, ${load.threads} threads` : "";
  const how = `${connection}${pipeline}${threads}`;
  const url = load.target.url;
  switch (run.kind) {
    case "closed": {
      const amount = run.durationS === null ? `${run.requests} requests` : `${run.durationS} s`;
      return `closed loop ${url}: ${run.concurrency} connections, ${amount} × ${run.repeat}, ${how}`;
    }
    case "open":
      return `open loop ${url}: ${run.rateRps} req/s (${run.arrival}) for ${run.durationS} s × ${run.repeat}, cap ${run.concurrency}, backlog ${run.backlog}, ${how}`;
    case "sweep":
      return `sweep ${url}: concurrencies ${run.concurrencies.join(",")}, ${run.requests} requests × ${run.repeat} each, ${how}`;
    case "preset":
      return `preset ${run.profileName} ${url}: calibration sweep, then open loop at ${run.profile.open.levels.map((l) => `${Math.round(l * 100)}%`).join(", ")} of capacity, ${how}`;
  }
}

/** `20261129_043000`: sortable, and safe in a file name on every OS. */
function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
}

async function waitUntil(epochMs: number, quiet: boolean): Promise<void> {
  const waitMs = epochMs - Date.now();
  if (waitMs <= 0) return;
  if (!quiet) log.info(`waiting ${(waitMs / 1000).toFixed(1)} s for --start-at ${new Date(epochMs).toISOString()}`);
  // Sleep coarsely, then finish with short sleeps so several generators start within a millisecond or two.
  if (waitMs > 20) await Bun.sleep(waitMs - 20);
  while (Date.now() < epochMs) await Bun.sleep(1);
}
