/**
 * Runs of a request pool with per-target results, built from recorded latencies as the engine
 * reports them: a `byTarget` row per target beside the run's own counts, which are theirs together.
 */
import { resultDocument, type Mode, type ResultDocument } from "../../src/stats/document.ts";
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import type { ErrorCounts, RunResult, TargetResult } from "../../src/stats/result.ts";
import { addErrors, latencyMs, summarizeRepeats, totalErrors, zeroErrors } from "../../src/stats/summary.ts";
import { seededRandom } from "./random.ts";

export interface TargetSpec {
  name: string;
  /** Every response's latency; all of them 200. */
  latenciesUs: readonly number[];
  /** Failures without a latency. */
  errors?: Partial<ErrorCounts>;
}

function recorded(latenciesUs: readonly number[]) {
  const recorder = new LatencyRecorder();
  for (const us of latenciesUs) recorder.record(us);
  return { latencyMs: latencyMs(recorder.histogram), histogram: encodeHistogram(recorder.histogram) };
}

export function targetResult({ name, latenciesUs, errors = {} }: TargetSpec): TargetResult {
  const counted = { ...zeroErrors(), ...errors };
  return {
    name,
    requests: latenciesUs.length + totalErrors(counted),
    ok: latenciesUs.length,
    errors: counted,
    statuses: { "200": latenciesUs.length },
    ...recorded(latenciesUs),
  };
}

/** A closed-loop repeat of these targets. */
export function pooledRun(repeat: number, targets: readonly TargetSpec[], concurrency = 4): RunResult {
  const byTarget = targets.map(targetResult);
  const requests = byTarget.reduce((sum, target) => sum + target.requests, 0);
  const ok = byTarget.reduce((sum, target) => sum + target.ok, 0);
  return {
    phase: "closed",
    concurrency,
    targetRps: null,
    repeat,
    durationS: 1,
    sent: requests,
    requests,
    ok,
    dropped: 0,
    errors: byTarget.map((target) => target.errors).reduce(addErrors, zeroErrors()),
    statuses: { "200": ok },
    generator: "pool",
    checks: {},
    byTarget,
    throughputRps: requests,
    achievedRps: null,
    ...recorded(targets.flatMap((target) => target.latenciesUs)),
    serviceTimeMs: null,
  };
}

/** A document of these runs, summarized as the bench modes do. */
export function pooledDocument(runs: RunResult[], mode: Mode = "closed"): ResultDocument {
  return resultDocument(mode, "http://127.0.0.1:8080/", new Date("2026-01-02T03:04:05.000Z"), {}, runs, summarizeRepeats(runs), false);
}

/**
 * `repeats` closed-loop repeats of a login target (latencies times `loginScale`), an items target
 * and `extra`, 200 responses each around 1 ms: the repeats differ a little, as real ones do.
 */
export function loginDocument(repeats: number, loginScale: number, extra: string): ResultDocument {
  const random = seededRandom(loginScale * 10 + repeats);
  const latencies = (scale: number) => Array.from({ length: 200 }, () => Math.round((1000 + random() * 200) * scale));
  const runs = Array.from({ length: repeats }, (_, i) =>
    pooledRun(i + 1, [
      { name: "login", latenciesUs: latencies(loginScale) },
      { name: "GET /items", latenciesUs: latencies(1) },
      { name: extra, latenciesUs: latencies(1) },
    ]),
  );
  return pooledDocument(runs);
}
