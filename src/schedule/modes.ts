import { defaultBacklog, type CapacityRun, type ClosedRun, type OpenRun, type PresetRun, type SweepRun } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import { CAPACITY_DEFAULTS, type ProbeStep } from "./capacity.ts";
import { runCapacity } from "./capacity-run.ts";
import type { CapacityFindings } from "../stats/capacity-findings.ts";
import { capacityExceeded, type PresetFindings, type SweepFindings } from "../stats/document.ts";
import { withWarnings } from "../stats/warnings.ts";
import { sweepFindings } from "../stats/knee.ts";
import type { Phase, RunResult } from "../stats/result.ts";
import { summarizeRepeats } from "../stats/summary.ts";

/**
 * Sweeps and presets are sequences of closed and open runs on the same engine; this is where the
 * sequence is decided. Each step goes through `runStep`, which owns threads, progress and Ctrl-C.
 */

export type RunStep = (run: ClosedRun | OpenRun, phase: Phase, label: string) => Promise<RunResult[]>;

export interface Measured {
  runs: RunResult[];
  findings: { sweep?: SweepFindings; preset?: PresetFindings; capacity?: CapacityFindings };
}

export async function runSweep(sweep: SweepRun, runStep: RunStep, signal: AbortSignal): Promise<Measured> {
  const runs: RunResult[] = [];
  for (const [i, concurrency] of sweep.concurrencies.entries()) {
    if (signal.aborted) break;
    const step: ClosedRun = {
      kind: "closed",
      concurrency,
      requests: sweep.requests,
      durationS: null,
      minDurationS: sweep.minDurationS,
      warmup: sweep.warmup,
      repeat: sweep.repeat,
    };
    runs.push(...(await runStep(step, "sweep", `sweep c=${concurrency} (${i + 1}/${sweep.concurrencies.length})`)));
  }
  return { runs, findings: { sweep: sweepFindings(summarizeRepeats(runs), sweep.sloP99Ms) } };
}

/**
 * Calibration → capacity X → open-loop runs at the profile's levels of X: underload, near the
 * knee, slight overload. X is the calibration sweep's best median throughput, or with
 * `--calibrate capacity` the open-loop capacity within the profile's SLO.
 */
export async function runPreset(preset: PresetRun, runStep: RunStep, signal: AbortSignal): Promise<Measured> {
  const { closed, open } = preset.profile;
  const calibration = preset.calibrate === "capacity" ? await capacityCalibration(preset, runStep, signal) : await sweepCalibration(preset, runStep, signal);
  const { capacityRps } = calibration;
  const cap = open.concurrency ?? Math.max(...closed.concurrencies);
  const levels = open.levels.map((fraction) => ({ fraction, targetRps: Math.max(1, Math.round(fraction * capacityRps)) }));
  const runs = [...calibration.runs];
  for (const [i, level] of levels.entries()) {
    if (signal.aborted) break;
    const step: OpenRun = {
      kind: "open",
      rateRps: level.targetRps,
      durationS: open.durationS,
      concurrency: cap,
      backlog: defaultBacklog(level.targetRps, cap),
      arrival: "constant",
      repeat: open.repeat,
      warmupS: open.warmupS,
    };
    const label = `open ${Math.round(level.fraction * 100)}% = ${level.targetRps} req/s (${i + 1}/${levels.length})`;
    const levelRuns = await runStep(step, "open", label);
    const exceeded = levelRuns.length > 0 ? capacityExceeded({ capacityRps }, summarizeRepeats(levelRuns)[0]!) : null;
    runs.push(...levelRuns.map((run) => withWarnings(run, exceeded ? [`open loop at ${Math.round(level.fraction * 100)}% of capacity: ${exceeded}`] : [])));
  }
  return { runs, findings: { ...calibration.findings, preset: { profile: preset.profileName, calibration: preset.calibrate, capacityRps, levels } } };
}

type Calibration = Measured & { capacityRps: number };

/** X = the best median throughput of a sweep with the profile's `closed` settings. */
async function sweepCalibration(preset: PresetRun, runStep: RunStep, signal: AbortSignal): Promise<Calibration> {
  const { closed } = preset.profile;
  const sweep: SweepRun = {
    kind: "sweep",
    concurrencies: closed.concurrencies,
    requests: closed.totalPerC,
    minDurationS: closed.minDurationS,
    warmup: closed.warmup,
    repeat: closed.repeat,
    sloP99Ms: null,
  };
  const measured = await runSweep(sweep, runStep, signal);
  const capacityRps = measured.findings.sweep?.best?.throughputRps ?? 0;
  if (capacityRps <= 0 && !signal.aborted) throw new RunError("calibration measured no throughput: no response came back");
  return { ...measured, capacityRps };
}

/**
 * X = the open-loop capacity within the profile's `slo_p99_ms`: probes as long as the levels' runs
 * (at most the default probe), confirmed over one level's duration, at the levels' in-flight cap.
 */
async function capacityCalibration(preset: PresetRun, runStep: RunStep, signal: AbortSignal): Promise<Calibration> {
  const run = presetProbes(preset);
  const measured = await runCapacityMode(run, runStep, signal);
  const capacityRps = measured.findings.capacity?.capacityRps ?? null;
  if (capacityRps === null && !signal.aborted) throw new RunError(`calibration found no rate within p99 ≤ ${run.slo.p99Ms} ms: ${measured.findings.capacity?.conclusion}`);
  return { ...measured, capacityRps: capacityRps ?? 0 };
}

/** The capacity search a preset calibrates with, from its profile. */
export function presetProbes(preset: PresetRun): CapacityRun {
  const { closed, open, sloP99Ms } = preset.profile;
  const cap = open.concurrency ?? Math.max(...closed.concurrencies);
  return {
    kind: "capacity",
    slo: { p99Ms: sloP99Ms ?? 0, errorRate: 0 },
    tolerance: CAPACITY_DEFAULTS.tolerance,
    probeS: Math.min(CAPACITY_DEFAULTS.probeS, open.durationS),
    confirmS: open.durationS,
    maxProbes: CAPACITY_DEFAULTS.maxProbes,
    concurrency: cap,
    backlog: null,
    arrival: "constant",
    warmupS: Math.min(1, open.warmupS),
    estimate: { concurrency: Math.max(...closed.concurrencies), durationS: 2 },
  };
}

/** `bench capacity`: the search of `capacity-run.ts`, its findings for the document. */
export async function runCapacityMode(run: CapacityRun, runStep: RunStep, signal: AbortSignal, onProbe?: (step: ProbeStep, index: number) => void): Promise<Measured> {
  let probes = 0;
  const measured = await runCapacity(run, runStep, signal, (step) => onProbe?.(step, ++probes));
  return { runs: measured.runs, findings: { capacity: measured.findings } };
}
