/**
 * Documents with several repeats whose latencies and rates are a known multiple of a baseline's:
 * the same seeds scaled, so "30% slower" is exactly that, repeat by repeat.
 */
import { resultDocument, type Mode, type ResultDocument } from "../../src/stats/document.ts";
import type { Phase, RunResult } from "../../src/stats/result.ts";
import { summarizeRepeats } from "../../src/stats/summary.ts";
import { run, STARTED_AT } from "./documents.ts";

export interface Shape {
  mode?: Mode;
  phase?: Phase;
  concurrency?: number;
  targetRps?: number;
  repeats?: number;
  /** Every latency multiplied by this. */
  latencyScale?: number;
  /** Throughput (or achieved rate) multiplied by this. */
  rateScale?: number;
  startedAt?: Date;
  options?: Record<string, unknown>;
  url?: string;
}

export function runsOf(shape: Shape = {}): RunResult[] {
  const { phase = "closed", concurrency = 20, targetRps, repeats = 5, latencyScale = 1, rateScale = 1 } = shape;
  return Array.from({ length: repeats }, (_, i) => {
    const repeat = i + 1;
    // Repeats differ a little (seed, rate), as real ones do, by less than the changes tests look for.
    return run(
      { phase, concurrency, targetRps, repeat, lowUs: 200 * latencyScale, highUs: 3000 * latencyScale, throughputRps: (targetRps ?? 10_000 + 40 * repeat) * rateScale },
      repeat,
    );
  });
}

export function documentOf(shape: Shape = {}, runs: RunResult[] = runsOf(shape)): ResultDocument {
  const mode = shape.mode ?? (shape.phase === "open" ? "open" : shape.phase === "sweep" ? "sweep" : "closed");
  return resultDocument(mode, shape.url ?? "http://127.0.0.1:8000/", shape.startedAt ?? STARTED_AT, shape.options ?? { kind: mode }, runs, summarizeRepeats(runs), false);
}
