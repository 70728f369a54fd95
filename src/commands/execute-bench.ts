import type { ClosedRun, LoadOptions, OpenRun } from "../config/plan.ts";
import type { OutputPlan } from "../config/bench-plan.ts";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { csv } from "../report/csv.ts";
import { resultDocument, type ResultDocument } from "../report/document.ts";
import { writeAtomically } from "../report/files.ts";
import { Progress } from "../report/progress.ts";
import { closedTable, openTable } from "../report/table.ts";
import { runLoad } from "../schedule/threads.ts";
import { decodeHistogram, hgrm, mergeHistograms } from "../stats/histogram.ts";
import type { RunResult } from "../stats/result.ts";
import { summarizeRepeats, totalErrors } from "../stats/summary.ts";

export interface BenchPlan {
  load: LoadOptions;
  run: ClosedRun | OpenRun;
  output: OutputPlan;
}

/**
 * The body shared by `bench closed` and `bench open`: wait for `--start-at`, run with Ctrl-C
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
  const progress = Progress.enabled(output.progress) ? new Progress(run.kind, run.repeat) : null;
  let runs: RunResult[];
  try {
    runs = await runLoad(load, run, run.kind, { signal: interrupt.signal, onTally: (tally, repeat) => progress?.watch(tally, repeat) });
  } finally {
    progress?.stop();
    process.off("SIGINT", onSigint);
  }

  const groups = summarizeRepeats(runs);
  const document = resultDocument(run.kind, load.target.url, startedAt, describe(plan), runs, groups, interrupt.signal.aborted);
  report(document, plan);

  if (interrupt.signal.aborted) return 130;
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const failures = runs.reduce((sum, r) => sum + totalErrors(r.errors), 0);
  if (requests > 0 && failures === requests) throw new RunError(`every request failed (${describeErrors(runs)})`);
  return thresholdsExceeded(document, output) ? 3 : 0;
}

function report(document: ResultDocument, plan: BenchPlan): void {
  const { output } = plan;
  if (!output.quiet) {
    const header = describeRun(plan);
    for (const group of document.summary.groups) {
      const runs = document.runs.filter((r) => r.concurrency === group.concurrency && r.targetRps === group.targetRps);
      const table = group.phase === "open" ? openTable(runs, group) : closedTable(runs, group);
      process.stderr.write(`\n${header}\n${table}\n\n`);
    }
  }
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (output.json) process.stdout.write(json);
  if (output.outPath) writeAtomically(output.outPath, json);
  if (output.csvPath) {
    writeAtomically(output.csvPath, csv(document.summary.groups, { batchTs: document.startedAt, url: document.url, profile: "" }));
  }
  if (output.hgrmPath) {
    const merged = mergeHistograms(document.runs.map((r) => decodeHistogram(r.histogram)));
    writeAtomically(output.hgrmPath, hgrm(merged));
  }
}

function thresholdsExceeded(document: ResultDocument, output: OutputPlan): boolean {
  let exceeded = false;
  for (const group of document.summary.groups) {
    if (output.failP99Ms !== null && group.latencyMs.p99 > output.failP99Ms) {
      log.error(`p99 ${group.latencyMs.p99.toFixed(2)} ms is above --fail-p99 ${output.failP99Ms} ms`);
      exceeded = true;
    }
    const rate = group.requests > 0 ? totalErrors(group.errors) / group.requests : 0;
    if (output.failErrorRate !== null && rate > output.failErrorRate) {
      log.error(`error rate ${rate.toFixed(4)} is above --fail-error-rate ${output.failErrorRate}`);
      exceeded = true;
    }
  }
  return exceeded;
}

function describeErrors(runs: RunResult[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) for (const [kind, n] of Object.entries(run.errors)) counts.set(kind, (counts.get(kind) ?? 0) + n);
  return [...counts].filter(([, n]) => n > 0).map(([kind, n]) => `${kind}: ${n}`).join(", ");
}

function describe({ load, run }: BenchPlan): Record<string, unknown> {
  const { target, ...rest } = load;
  return { method: new TextDecoder().decode(target.request.subarray(0, target.request.indexOf(0x20))), ...rest, ...run };
}

function describeRun({ load, run }: BenchPlan): string {
  const connection = load.keepAlive ? "keep-alive" : "new connection per request";
  const pipeline = load.pipeline > 1 ? `, pipeline ${load.pipeline}` : "";
  if (run.kind === "closed") {
    const amount = run.durationS === null ? `${run.requests} requests` : `${run.durationS} s`;
    return `closed loop ${load.target.url}: ${run.concurrency} connections, ${amount} × ${run.repeat}, ${connection}${pipeline}`;
  }
  return `open loop ${load.target.url}: ${run.rateRps} req/s (${run.arrival}) for ${run.durationS} s × ${run.repeat}, cap ${run.concurrency}, backlog ${run.backlog}, ${connection}${pipeline}`;
}

async function waitUntil(epochMs: number, quiet: boolean): Promise<void> {
  const waitMs = epochMs - Date.now();
  if (waitMs <= 0) return;
  if (!quiet) log.info(`waiting ${(waitMs / 1000).toFixed(1)} s for --start-at ${new Date(epochMs).toISOString()}`);
  // Sleep coarsely, then finish with short sleeps so several generators start within a millisecond or two.
  if (waitMs > 20) await Bun.sleep(waitMs - 20);
  while (Date.now() < epochMs) await Bun.sleep(1);
}
