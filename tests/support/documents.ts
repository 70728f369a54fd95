/**
 * Result documents of every mode built from recorded histograms, as the bench modes build them:
 * runs → summarizeRepeats → resultDocument, with the sweep findings from the real knee functions.
 */
import { resultDocument, type Mode, type ResultDocument, type SweepFindings } from "../../src/stats/document.ts";
import { encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import { best, knee, sloCapacity } from "../../src/stats/knee.ts";
import type { ErrorCounts, Phase, RunResult } from "../../src/stats/result.ts";
import { latencyMs, summarizeRepeats, zeroErrors } from "../../src/stats/summary.ts";
import { logUniformUs, seededRandom } from "./random.ts";

export const STARTED_AT = new Date("2026-01-02T03:04:05.000Z");
const SAMPLES = 2000;

export interface RunSpec {
  phase: Phase;
  concurrency: number;
  targetRps?: number;
  repeat?: number;
  /** Latencies are spread log-uniformly between these (µs). */
  lowUs: number;
  highUs: number;
  throughputRps: number;
  errors?: Partial<ErrorCounts>;
  dropped?: number;
}

export function run(spec: RunSpec, seed = 1): RunResult {
  const random = seededRandom(seed);
  const latency = new LatencyRecorder();
  const service = new LatencyRecorder();
  for (let i = 0; i < SAMPLES; i++) {
    const us = logUniformUs(random, spec.lowUs, spec.highUs);
    latency.record(us);
    // Service time is the part after the actual send: never more than the latency from the intended time.
    service.record(Math.max(1, Math.floor(us * 0.6)));
  }
  const open = spec.phase === "open";
  const errors = { ...zeroErrors(), ...spec.errors };
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    phase: spec.phase,
    concurrency: spec.concurrency,
    targetRps: spec.targetRps ?? null,
    repeat: spec.repeat ?? 1,
    durationS: SAMPLES / spec.throughputRps,
    sent: SAMPLES + errorCount,
    requests: SAMPLES + errorCount,
    ok: SAMPLES,
    dropped: spec.dropped ?? 0,
    errors,
    statuses: { "200": SAMPLES },
    throughputRps: spec.throughputRps,
    achievedRps: open ? spec.throughputRps : null,
    latencyMs: latencyMs(latency.histogram),
    serviceTimeMs: open ? latencyMs(service.histogram) : null,
    histogram: encodeHistogram(latency.histogram),
    ...(open ? { serviceHistogram: encodeHistogram(service.histogram) } : {}),
  };
}

function documentOf(mode: Mode, runs: RunResult[], findings: Parameters<typeof resultDocument>[7] = {}, url = "http://127.0.0.1:8000/"): ResultDocument {
  return resultDocument(mode, url, STARTED_AT, { kind: mode, repeat: 2 }, runs, summarizeRepeats(runs), false, findings);
}

export function closedDocument(url?: string): ResultDocument {
  const runs = [1, 2].map((repeat) => run({ phase: "closed", concurrency: 20, repeat, lowUs: 80, highUs: 2500, throughputRps: 50_000 + repeat * 1000, errors: { reset: repeat } }, repeat));
  return documentOf("closed", runs, {}, url);
}

export function openDocument(): ResultDocument {
  const runs = [1, 2].map((repeat) => run({ phase: "open", concurrency: 100, targetRps: 2000, repeat, lowUs: 60, highUs: 9000, throughputRps: 1990 + repeat, dropped: 3 }, repeat));
  return documentOf("open", runs);
}

export const SWEEP_CONCURRENCIES = [1, 2, 4, 8, 16, 32, 64];

function sweepRuns(): RunResult[] {
  return SWEEP_CONCURRENCIES.flatMap((concurrency) =>
    [1, 2].map((repeat) => {
      // Saturating capacity, latency growing with the queue: the usual shape of a sweep.
      const throughputRps = Math.round((80_000 * concurrency) / (concurrency + 6)) + repeat * 500;
      const meanUs = (concurrency / throughputRps) * 1e6;
      return run({ phase: "sweep", concurrency, repeat, lowUs: Math.max(10, meanUs / 4), highUs: meanUs * 6, throughputRps }, concurrency * 10 + repeat);
    }),
  );
}

function sweepFindings(runs: RunResult[], sloP99Ms: number): SweepFindings {
  const groups = summarizeRepeats(runs);
  const point = (group: (typeof groups)[number] | null) => (group ? { concurrency: group.concurrency, throughputRps: group.throughputRps } : null);
  return { best: point(best(groups)), knee: point(knee(groups)), slo: { p99Ms: sloP99Ms, point: point(sloCapacity(groups, sloP99Ms)) } };
}

export function sweepDocument(): ResultDocument {
  const runs = sweepRuns();
  return documentOf("sweep", runs, { sweep: sweepFindings(runs, 2) });
}

export function presetDocument(): ResultDocument {
  const calibration = sweepRuns();
  const sweep = sweepFindings(calibration, 2);
  const capacityRps = sweep.best!.throughputRps;
  const levels = [0.5, 0.9, 1.1].map((fraction) => ({ fraction, targetRps: Math.round(capacityRps * fraction) }));
  const open = levels.map((level, i) => {
    // Past capacity the queue grows for the whole run: latency from the intended time explodes.
    const highUs = [2000, 8000, 900_000][i]!;
    return run({ phase: "open", concurrency: 256, targetRps: level.targetRps, lowUs: 50, highUs, throughputRps: Math.min(level.targetRps, capacityRps * 0.98), dropped: i === 2 ? 4000 : 0 }, 100 + i);
  });
  return documentOf("preset", [...calibration, ...open], { sweep, preset: { profile: "standard", capacityRps, levels } });
}
