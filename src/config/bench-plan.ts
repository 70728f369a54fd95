import { readFileSync } from "node:fs";
import { buildTarget, type RequestSpec } from "../client/target.ts";
import { formatStages } from "../schedule/stages.ts";
import { UsageError } from "../errors.ts";
import { type BenchConfig, loadConfig } from "./bench-config.ts";
import { BENCH_OPTIONS, DEFAULT_CLOSED_DURATION_S, type BenchMode, type BenchValues } from "./bench-options.ts";
import { resolveOptions } from "./options.ts";
import { workloadPlan } from "./workload-plan.ts";
import type { ScriptWorkloadFlags } from "../workload/script.ts";
import { defaultBacklog, type BenchPlan, type CapacityRun, type ClosedRun, type LoadOptions, type ModeRun, type OpenRun, type PresetRun, type SweepRun } from "./plan.ts";

/**
 * A bench command's whole plan, built and validated before anything starts: no child server, no
 * connection, no file written until every value (flag, config file, default) has been checked.
 */

export interface OutputPlan {
  json: boolean;
  outPath: string | null;
  csvPath: string | null;
  hgrmPath: string | null;
  reportPath: string | null;
  progress: boolean;
  quiet: boolean;
  failP99Ms: number | null;
  failErrorRate: number | null;
  failCheckRate: number | null;
  /** Epoch ms to wait for before starting, or null. */
  startAtMs: number | null;
  /** Each run is also recorded over time, in intervals this long, kept in the result document; null: not. */
  intervalS: number | null;
  /** `--hlog`: the HdrHistogram interval log. */
  hlogPath: string | null;
  /** `--intervals-json`: one JSON line per interval. */
  intervalsJsonPath: string | null;
  /** `--interval-lines`: one progress line per interval on stderr, terminal or not. */
  intervalLines: boolean;
}

/** What a bench command runs: the plan, and whether its target is a `minibench serve` child still to start. */
export interface PlannedBench {
  plan: BenchPlan;
  serve: boolean;
  /** What the target's request bytes were built from, to build them again for the child's address. */
  request: RequestSpec;
  /** `--script`, still to be loaded: `withScript` (config/workload-plan.ts) makes its workload. */
  script: ScriptWorkloadFlags | null;
}

/** The flags given on the command line, by flag name; positionals by their option key. */
export type GivenFlags = Readonly<Record<string, unknown>>;

type Common = BenchValues<BenchMode>;

/** The plan of a bench mode from the flags given and the config file (`--config`, or the default one). */
export function benchPlan(mode: BenchMode, given: GivenFlags, config: BenchConfig = configOf(given)): PlannedBench {
  const { run, values } = modeRun(mode, given, config);
  if (values.serve && (given.target !== undefined || given.url !== undefined)) {
    throw new UsageError("--serve starts its own target: give no URL with it");
  }
  const { load, request, script } = loadOptions(values, given);
  return { plan: { load, run, output: outputPlan(values) }, serve: values.serve, request, script };
}

function configOf(given: GivenFlags): BenchConfig {
  return loadConfig(given.config === undefined ? undefined : BENCH_OPTIONS.config.kind.parse(given.config, "--config"));
}

/** The plan against the `minibench serve` child that `--serve` started at `url`. */
export function servedAt({ plan, request }: PlannedBench, url: string): BenchPlan {
  return { ...plan, load: { ...plan.load, target: buildTarget({ ...request, url }) } };
}

function modeRun(mode: BenchMode, given: GivenFlags, config: BenchConfig): { run: ModeRun; values: Common } {
  switch (mode) {
    case "closed": {
      const values = resolveOptions(BENCH_OPTIONS, mode, given, config.defaults);
      return { run: closedRun(values, given.concurrency !== undefined), values };
    }
    case "open": {
      const values = resolveOptions(BENCH_OPTIONS, mode, given, config.defaults);
      return { run: openRun(values), values };
    }
    case "sweep": {
      const values = resolveOptions(BENCH_OPTIONS, mode, given, config.defaults);
      return { run: sweepRun(values), values };
    }
    case "preset": {
      const values = resolveOptions(BENCH_OPTIONS, mode, given, config.defaults);
      return { run: presetRun(values, config), values };
    }
    case "capacity": {
      const values = resolveOptions(BENCH_OPTIONS, mode, given, config.defaults);
      return { run: capacityRun(values), values };
    }
  }
}

function closedRun(values: BenchValues<"closed">, concurrencyGiven: boolean): ClosedRun {
  const { concurrency, requests, warmup, repeat, closedStages: stages } = values;
  if (stages !== null) {
    if (requests !== null || values.duration !== null) throw new UsageError("--stages: the stages set how long the run lasts: give neither -n nor -d with them");
    const durationS = stages.reduce((sum, stage) => sum + stage.durationS, 0);
    if (durationS <= 0) throw new UsageError(`--stages: the stages last no time: ${formatStages(stages)}`);
    // From -c when given (as an open loop's stages start from --rps), else from none.
    const startConnections = concurrencyGiven ? concurrency : 0;
    const most = Math.max(startConnections, ...stages.map((stage) => stage.target));
    if (most === 0) throw new UsageError(`--stages: no stage opens a connection: ${formatStages(stages)}`);
    // No warm-up: it would run at the most connections, before a profile that may start from few.
    return { kind: "closed", concurrency: most, requests: null, durationS, warmup: 0, repeat, stages, startConnections };
  }
  const durationS = values.duration ?? (requests === null ? DEFAULT_CLOSED_DURATION_S : null);
  return { kind: "closed", concurrency, requests: durationS === null ? requests : null, durationS, warmup, repeat };
}

function openRun(values: BenchValues<"open">): OpenRun {
  const { rps, stages, openDuration, openConcurrency, backlog, arrival, repeat, warmupSec } = values;
  if (stages === null) {
    if (rps === null) throw new UsageError("--rps is required: the target arrival rate in requests per second (or give --stages)");
    if (rps === 0) throw new UsageError('--rps: expected a positive integer, got "0" (a rate of 0 only starts --stages)');
    return { kind: "open", rateRps: rps, durationS: openDuration, concurrency: openConcurrency, backlog: backlog ?? defaultBacklog(rps, openConcurrency), arrival, repeat, warmupS: warmupSec };
  }
  const durationS = stages.reduce((sum, stage) => sum + stage.durationS, 0);
  if (durationS <= 0) throw new UsageError(`--stages: the stages last no time: ${formatStages(stages)}`);
  const startRps = rps ?? 0;
  const peakRps = Math.max(startRps, ...stages.map((stage) => stage.target));
  return {
    kind: "open",
    rateRps: startRps,
    durationS,
    stages,
    concurrency: openConcurrency,
    backlog: backlog ?? defaultBacklog(peakRps, openConcurrency),
    arrival,
    repeat,
    // The warm-up runs at the starting rate: from 0 there is nothing to warm up.
    warmupS: startRps > 0 ? warmupSec : 0,
  };
}

function sweepRun(values: BenchValues<"sweep">): SweepRun {
  const { concurrencies, sweepRequests, minDuration, sweepWarmup, repeat, sloP99 } = values;
  return { kind: "sweep", concurrencies, requests: sweepRequests, minDurationS: minDuration, warmup: sweepWarmup, repeat, sloP99Ms: sloP99 };
}

function presetRun(values: BenchValues<"preset">, config: BenchConfig): PresetRun {
  const profile = config.presets[values.profile];
  if (profile === undefined) {
    throw new UsageError(`--profile: no profile ${JSON.stringify(values.profile)} in ${config.source} (it has ${Object.keys(config.presets).join(", ")})`);
  }
  if (values.calibrate === "capacity" && profile.sloP99Ms === null) {
    throw new UsageError(`--calibrate capacity: profile ${JSON.stringify(values.profile)} in ${config.source} has no slo_p99_ms (the SLO the capacity is found within)`);
  }
  return { kind: "preset", profileName: values.profile, profile, outDir: values.outDir, calibrate: values.calibrate };
}

/**
 * The closed loop the search starts from: short, at a concurrency that saturates most servers
 * without queueing thousands of requests in them. Only where the search starts depends on it.
 */
export const CAPACITY_ESTIMATE = { concurrency: 50, durationS: 2 };

function capacityRun(values: BenchValues<"capacity">): CapacityRun {
  const { capacitySloP99, sloErrorRate, tolerance, probe, confirm, maxProbes, openConcurrency, arrival, probeWarmup } = values;
  return {
    kind: "capacity",
    slo: { p99Ms: capacitySloP99, errorRate: sloErrorRate },
    tolerance,
    probeS: probe,
    confirmS: confirm,
    maxProbes,
    concurrency: openConcurrency,
    backlog: null,
    arrival,
    warmupS: probeWarmup,
    estimate: { concurrency: Math.min(openConcurrency, CAPACITY_ESTIMATE.concurrency), durationS: CAPACITY_ESTIMATE.durationS },
  };
}

function loadOptions(values: Common, given: GivenFlags): { load: LoadOptions; request: RequestSpec; script: ScriptWorkloadFlags | null } {
  if (given.target !== undefined && given.url !== undefined && values.target !== values.url) {
    throw new UsageError(`two targets given: ${JSON.stringify(values.target)} and --url ${JSON.stringify(values.url)}`);
  }
  if (values.body !== null && values.bodyFile !== null) throw new UsageError("--body and --body-file: give one of them");
  const request: RequestSpec = {
    url: values.target ?? values.url,
    method: values.method,
    headers: values.header ?? [],
    body: values.bodyFile !== null ? readBodyFile(values.bodyFile) : values.body === null ? null : new TextEncoder().encode(values.body),
    keepAlive: values.keepalive,
    insecure: values.insecure,
  };
  const { workload, script, checks, target } = workloadPlan(values, given, request);
  const load = { target: target ?? buildTarget(request), keepAlive: values.keepalive, pipeline: values.pipeline, timeoutMs: values.timeout, threads: values.threads, workload, checks };
  return { load, request, script };
}

function readBodyFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--body-file: cannot read ${path}: ${(error as Error).message}`);
  }
}

function outputPlan(values: Common): OutputPlan {
  return {
    json: values.json,
    outPath: values.out,
    csvPath: values.csv,
    hgrmPath: values.hgrm,
    reportPath: values.report,
    progress: values.progress && !values.quiet,
    quiet: values.quiet,
    failP99Ms: values.failP99,
    failErrorRate: values.failErrorRate,
    failCheckRate: values.failCheckRate,
    startAtMs: values.startAt,
    // Intervals are recorded when asked for, or at 1 s when an output needs them.
    intervalS: values.interval ?? (values.hlog !== null || values.intervalsJson !== null || values.report !== null ? 1 : null),
    hlogPath: values.hlog,
    intervalsJsonPath: values.intervalsJson,
    intervalLines: values.intervalLines && !values.quiet,
  };
}
