import type { BenchPlan } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { formatLatency } from "../units.ts";
import { pointName, prepareOutputs, writeOutputs } from "../report/output.ts";
import { Progress } from "../report/progress.ts";
import { TimeOutputs } from "../report/time-outputs.ts";
import { resultDocument, type ResultDocument } from "../stats/document.ts";
import type { Interval, RunResult } from "../stats/result.ts";
import { answered, summarizeRepeats, totalErrors } from "../stats/summary.ts";
import type { OutputPlan } from "../config/bench-plan.ts";
import { probeLine } from "../report/table.ts";
import type { ProbeStep } from "./capacity.ts";
import { probeIntervalS } from "./capacity-run.ts";
import { presetProbes, runCapacityMode, runPreset, runSweep, type Measured, type RunStep } from "./modes.ts";
import { stageIntervalS } from "./stages.ts";
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
  // Opened before any wait or load: a path that cannot be written fails now.
  const timeOutputs = new TimeOutputs(output);
  if (output.startAtMs !== null) await waitUntil(output.startAtMs, output.quiet);

  const interrupt = new AbortController();
  const onSigint = () => {
    if (!output.quiet) log.warn("interrupted: reporting what completed");
    interrupt.abort();
  };
  process.once("SIGINT", onSigint);
  const startedAt = new Date();
  const progress = Progress.create(output);
  // The live view shows the last interval's latency: it records intervals even when no output keeps them.
  // Stages are measured from intervals too, short enough to see each stage in several.
  // A capacity probe is judged on its intervals too (is p99 drifting up?): it always records them.
  const search = run.kind === "capacity" ? run : run.kind === "preset" && run.calibrate === "capacity" ? presetProbes(run) : null;
  const intervalS = output.intervalS ?? (run.kind === "open" && run.stages ? stageIntervalS(run.stages) : search ? probeIntervalS(search) : progress ? 1 : null);
  // Results keep their intervals only for what reads them after the run: the document and report, the stages' results, a capacity probe's judge.
  const documentWanted = output.json || output.outPath !== null || output.reportPath !== null;
  const keep = (output.intervalS !== null && documentWanted) || (run.kind === "open" && run.stages !== undefined) || search !== null;
  const runStep: RunStep = (step, phase, label) => {
    progress?.begin(label, step);
    // Without a terminal, a multi-step run still says where it is, one line per step.
    if (!output.quiet && !progress && (run.kind === "sweep" || run.kind === "preset")) log.info(label);
    const intervals =
      intervalS === null
        ? undefined
        : {
            intervalS,
            keep,
            onInterval: (interval: Interval, repeat: number, startedAtMs: number) => {
              const point = { phase, concurrency: step.concurrency, targetRps: step.kind === "open" ? step.rateRps : null, repeat };
              timeOutputs.add(interval, point, startedAtMs);
              progress?.interval(interval, repeat);
            },
          };
    const hooks = { signal: interrupt.signal, onTally: (tally: Tally, repeat: number) => progress?.watch(tally, repeat), intervals };
    // Judged on the merged runs: a thread's share of a run has fewer samples than the run.
    return runLoad(load, step, phase, hooks).then((results) => results.map(reviewed));
  };
  let measured: Measured;
  try {
    if (run.kind === "sweep") measured = await runSweep(run, runStep, interrupt.signal);
    else if (run.kind === "preset") measured = await runPreset(run, runStep, interrupt.signal);
    else if (run.kind === "capacity") {
      // Each probe's verdict as it comes: a search of minutes says where it stands.
      const onProbe = (step: ProbeStep, index: number) => {
        if (output.quiet) return;
        // Written as progress is, whatever the log level; on a terminal, over the live line redrawn in place.
        const clear = progress && !output.intervalLines ? "\r\x1b[2K" : "";
        process.stderr.write(`${clear}${probeLine(step, index, run.slo)}\n`);
      };
      measured = await runCapacityMode(run, runStep, interrupt.signal, onProbe);
    }
    else measured = { runs: await runStep(run, run.kind, run.kind), findings: {} };
  } finally {
    progress?.stop();
    process.off("SIGINT", onSigint);
    timeOutputs.close();
  }

  const { findings } = measured;
  // Intervals recorded only for the live view stay out of the document: its contents do not depend on a terminal.
  const runs = output.intervalS === null ? measured.runs.map(({ intervals: _, startedAt: __, ...rest }) => rest) : measured.runs;
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
  return thresholdsVerdict(document, output);
}

/**
 * The exit code of the `--fail-*` gates: 3 when a threshold was exceeded, 2 when a point had nothing
 * to judge it on (no latency recorded, no request completed) — a gate that cannot judge must not pass.
 */
export function thresholdsVerdict(document: ResultDocument, output: OutputPlan): 0 | 2 | 3 {
  let exceeded = false;
  const unjudged: string[] = [];
  for (const group of document.summary.groups) {
    const latencies = answered(group);
    if (output.failP99Ms !== null) {
      if (latencies === 0) unjudged.push(`--fail-p99: ${pointName(group)} recorded no latency`);
      else if (group.latencyMs.p99 > output.failP99Ms) {
        log.error(`p99 ${formatLatency(group.latencyMs.p99)} is above --fail-p99 ${output.failP99Ms} ms (${pointName(group)})`);
        exceeded = true;
      }
    }
    if (output.failErrorRate !== null) {
      if (group.requests === 0) unjudged.push(`--fail-error-rate: ${pointName(group)} completed no request`);
      else if (totalErrors(group.errors) / group.requests > output.failErrorRate) {
        log.error(`error rate ${(totalErrors(group.errors) / group.requests).toFixed(4)} is above --fail-error-rate ${output.failErrorRate} (${pointName(group)})`);
        exceeded = true;
      }
    }
    if (output.failCheckRate !== null) {
      const rate = group.errors.check / latencies;
      if (latencies === 0) unjudged.push(`--fail-check-rate: ${pointName(group)} received no response`);
      else if (rate > output.failCheckRate) {
        log.error(`check failure rate ${rate.toFixed(4)} is above --fail-check-rate ${output.failCheckRate} (${pointName(group)})`);
        exceeded = true;
      }
    }
  }
  if (exceeded) return 3;
  if (unjudged.length > 0) {
    log.error(`cannot judge ${unjudged.join("; ")}`);
    return 2;
  }
  return 0;
}

function describeErrors(runs: RunResult[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) for (const [kind, n] of Object.entries(run.errors)) counts.set(kind, (counts.get(kind) ?? 0) + n);
  return [...counts].filter(([, n]) => n > 0).map(([kind, n]) => `${kind}: ${n}`).join(", ");
}

function describe({ load, run }: BenchPlan): Record<string, unknown> {
  const { target, workload, ...rest } = load;
  if (workload) {
    const { file, pool, order, seed, script } = workload;
    // A script's targets are named by the script; its pick(i), when it has one, is the order.
    const source = script ? { script: file, targetCount: pool.count, order: script.pick ? "pick(i)" : order } : { targets: file, targetCount: pool.count, order };
    return { ...source, seed, ...rest, ...run };
  }
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
