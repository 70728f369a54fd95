import type { Interval, Phase } from "../stats/result.ts";

/**
 * `--intervals-json`: one JSON object per line and interval (NDJSON), written as each interval
 * ends, so `tail -f FILE | jq` follows a run. Each line names its run and carries the interval as
 * the result document has it, plus its wall-clock start.
 */

export interface RunPoint {
  phase: Phase;
  concurrency: number;
  targetRps: number | null;
  repeat: number;
}

export function intervalJsonLine(interval: Interval, point: RunPoint, runStartedAtMs: number): string {
  const time = new Date(runStartedAtMs + interval.startS * 1000).toISOString();
  return `${JSON.stringify({ time, ...point, ...interval })}\n`;
}
