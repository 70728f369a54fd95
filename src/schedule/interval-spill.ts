import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Interval } from "../stats/result.ts";

/**
 * A run's intervals, kept out of memory while it runs: each is appended to a temporary file (one
 * JSON line) as it ends and read back once, when the run ends and its result is made.
 *
 * An interval holds a few kilobytes of encoded histograms; kept in memory, a long run at 1 s
 * intervals grows by megabytes an hour (a day-long soak test by hundreds). On disk they cost the
 * run nothing but one small write per interval, and its memory stays flat however long it runs
 * (where the temporary directory is a tmpfs, the file is in RAM still, but outside the process's
 * heap, and the kernel can swap it out).
 * They are read back, not streamed into the outputs, because everything after the run (threads'
 * and stages' results, the document, the report) works on whole results; that peak comes after
 * the load has stopped.
 *
 * The file is unlinked as soon as it is open where the system allows it (it lives on through the
 * descriptor, and nothing is left behind if the process dies), else when it is read back. If it
 * cannot be made or written (no space, no temporary directory), the intervals from then on are
 * kept in memory instead: an output that wants them must not lose them.
 */
export class IntervalSpill {
  private fd: number | null = null;
  private path: string | null = null;
  /** What the file holds: whole lines only. */
  private bytes = 0;
  private readonly inMemory: Interval[] = [];

  constructor(directory = tmpdir()) {
    const path = join(directory, `minibench-intervals-${process.pid}-${Math.random().toString(36).slice(2)}.ndjson`);
    try {
      this.fd = openSync(path, "wx+");
      this.path = path;
      unlinkSync(path);
      this.path = null;
    } catch {
      // Either the file could not be made (then the intervals stay in memory) or it cannot be unlinked while open (Windows): later.
    }
  }

  add(interval: Interval): void {
    if (this.fd !== null && this.inMemory.length === 0) {
      const line = Buffer.from(`${JSON.stringify(interval)}\n`);
      try {
        const written = writeSync(this.fd, line, 0, line.length, this.bytes);
        if (written === line.length) {
          this.bytes += written;
          return;
        }
        ftruncateSync(this.fd, this.bytes);
      } catch {
        // Out of space: the rest stays in memory, after what the file holds.
      }
    }
    this.inMemory.push(interval);
  }

  /** Every interval added, in order; the file is gone afterwards. */
  readAll(): Interval[] {
    const fromFile: Interval[] = [];
    if (this.fd !== null) {
      const bytes = Buffer.allocUnsafe(this.bytes);
      for (let at = 0, read = 1; at < bytes.length && read > 0; at += read) read = readSync(this.fd, bytes, at, bytes.length - at, at);
      for (const line of bytes.toString("utf8").split("\n")) if (line !== "") fromFile.push(JSON.parse(line) as Interval);
    }
    const all = [...fromFile, ...this.inMemory];
    this.discard();
    return all;
  }

  /** Drops what was added and removes the file. */
  discard(): void {
    this.inMemory.length = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.path !== null) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
      this.path = null;
    }
  }
}
