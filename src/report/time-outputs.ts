import { closeSync, openSync, writeSync } from "node:fs";
import { RunError } from "../errors.ts";
import type { Interval } from "../stats/result.ts";
import { hlogHeader, hlogLines, hlogRunComment } from "./hlog.ts";
import { intervalJsonLine, type RunPoint } from "./intervals-json.ts";

/**
 * The files that follow a run over time (`--hlog`, `--intervals-json`), appended to as each
 * interval ends rather than written at the end, so they can be watched during a long run and keep
 * what was measured if the process dies. Both are opened before the run starts: a path that cannot
 * be written fails at once, not after an hour of load.
 */
export class TimeOutputs {
  private readonly fds: number[] = [];
  private readonly hlog: ((text: string) => void) | null;
  private readonly json: ((text: string) => void) | null;
  private failure: string | null = null;
  /** The start of the first run: the log's StartTime and BaseTime. */
  private baseTimeMs: number | null = null;
  private lastRun = "";

  constructor(paths: { hlogPath: string | null; intervalsJsonPath: string | null }) {
    this.hlog = paths.hlogPath === null ? null : this.open(paths.hlogPath);
    this.json = paths.intervalsJsonPath === null ? null : this.open(paths.intervalsJsonPath);
  }

  get active(): boolean {
    return this.hlog !== null || this.json !== null;
  }

  /** One interval of the run at `point`, which started at `runStartedAtMs` (epoch ms). */
  add(interval: Interval, point: RunPoint, runStartedAtMs: number): void {
    if (this.hlog) {
      if (this.baseTimeMs === null) {
        this.baseTimeMs = runStartedAtMs;
        this.hlog(hlogHeader(runStartedAtMs));
      }
      const run = `${point.phase} ${point.targetRps === null ? `c=${point.concurrency}` : `${point.targetRps} req/s`} repeat ${point.repeat}`;
      if (run !== this.lastRun) this.hlog(hlogRunComment(`${run}, started ${new Date(runStartedAtMs).toISOString()}`));
      this.lastRun = run;
      this.hlog(hlogLines(interval, runStartedAtMs, this.baseTimeMs));
    }
    this.json?.(intervalJsonLine(interval, point, runStartedAtMs));
  }

  /** Closes the files; throws (exit 1) if a write failed along the way. */
  close(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
    if (this.failure) throw new RunError(this.failure);
  }

  private open(path: string): (text: string) => void {
    let fd: number;
    try {
      fd = openSync(path, "w");
    } catch (error) {
      throw new RunError(`cannot write ${path}: ${(error as Error).message}`);
    }
    this.fds.push(fd);
    let failed = false;
    return (text) => {
      if (failed) return;
      try {
        writeSync(fd, text);
      } catch (error) {
        // The run goes on (its other outputs are still wanted); the command fails at the end.
        this.failure ??= `cannot write ${path}: ${(error as Error).message}`;
        failed = true;
      }
    };
  }
}
