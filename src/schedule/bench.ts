import type { BenchPlan } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { pointName, prepareOutputs, writeOutputs } from "../report/output.ts";
import { Progress } from "../report/progress.ts";
import { resultDocument, type ResultDocument } from "../stats/document.ts";
import type { RunResult } from "../stats/result.ts";
import { summarizeRepeats, totalErrors } from "../stats/summary.ts";
import type { OutputPlan } from "../config/bench-plan.ts";
import { runPreset, runSweep, type Measured, type RunStep } from "./modes.ts";
import { runLoad } from "./threads.ts";
import type { Tally } from "../stats/tally.ts";
import { reviewed } from "../stats/warnings.ts";

/**
 * The body shared by every bench mode: wait for `--start-at`, run the mode's steps with Ctrl-C
 * handled (what completed is still reported, exit 130), report, and decide the exit code.
 */
export async function executeBench(plan: BenchPlan): Promise<number> {
  const { load, run, output } = plan;
  prepareOutputs(plan);
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
    const hooks = { signal: interrupt.signal, onTally: (tally: Tally, repeat: number) => progress?.watch(tally, repeat) };
    // Judged on the merged runs: a thread's share of a run has fewer samples than the run.
    return runLoad(load, step, phase, hooks).then((results) => results.map(reviewed));
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
  if (interrupt.signal.aborted && runs.length === 0) {
    // A table of zeros would read as a measurement; nothing was measured.
    log.warn("interrupted during the warm-up: nothing measured");
    return 130;
  }
  const groups = summarizeRepeats(runs);
  const document = resultDocument(run.kind, load.target.url, startedAt, describe(plan), runs, groups, interrupt.signal.aborted, findings);
  writeOutputs(document, plan);

  if (interrupt.signal.aborted) return 130;
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const failures = runs.reduce((sum, r) => sum + totalErrors(r.errors), 0);
  if (requests > 0 && failures === requests) throw new RunError(`every request failed (${describeErrors(runs)})`);
  return thresholdsExceeded(document, output) ? 3 : 0;
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

async function waitUntil(epochMs: number, quiet: boolean): Promise<void> {
  const waitMs = epochMs - Date.now();
  if (waitMs <= 0) return;
  if (!quiet) log.info(`waiting ${(waitMs / 1000).toFixed(1)} s for --start-at ${new Date(epochMs).toISOString()}`);
  // Sleep coarsely, then finish with short sleeps so several generators start within a millisecond or two.
  if (waitMs > 20) await Bun.sleep(waitMs - 20);
  while (Date.now() < epochMs) await Bun.sleep(1);
}
