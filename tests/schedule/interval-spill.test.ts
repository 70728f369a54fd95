import { expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { IntervalSpill } from "../../src/schedule/interval-spill.ts";
import { IntervalCutter } from "../../src/stats/intervals.ts";
import type { Interval } from "../../src/stats/result.ts";
import { Tally } from "../../src/stats/tally.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("spill");

/** `count` one-second intervals of an open loop with a few outcomes each. */
function intervals(count: number): Interval[] {
  const tally = new Tally(0, 1e12);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  return Array.from({ length: count }, (_, k) => {
    for (let i = 0; i < 20; i++) {
      tally.onSend(k * 1e6, k * 1e6);
      tally.lag.record(i);
      tally.onResponse(i % 5 === 0 ? 503 : 200, k * 1e6, k * 1e6 + 10, k * 1e6 + 1000 * (i + k));
    }
    return cutter.cut((k + 1) * 1e6);
  });
}

test("gives back every interval added, in order, equal to what went in", () => {
  const spill = new IntervalSpill(dir);
  const added = intervals(30);
  for (const interval of added) spill.add(interval);
  expect(spill.readAll()).toEqual(added);
});

test("keeps nothing in its directory, while it runs or after (the file is unlinked once open)", () => {
  const own = join(dir, "own");
  mkdirSync(own);
  const spill = new IntervalSpill(own);
  for (const interval of intervals(3)) spill.add(interval);
  if (process.platform !== "win32") expect(readdirSync(own)).toEqual([]);
  spill.readAll();
  expect(readdirSync(own)).toEqual([]);
});

test("where no file can be made, the intervals are kept in memory: none is lost", () => {
  const spill = new IntervalSpill(join(dir, "missing", "deeper"));
  const added = intervals(4);
  for (const interval of added) spill.add(interval);
  expect(spill.readAll()).toEqual(added);
});

test.each([["a file", dir], ["memory", join(dir, "missing")]])("discarded, it gives back nothing (kept in %s)", (_where, directory) => {
  const spill = new IntervalSpill(directory);
  for (const interval of intervals(2)) spill.add(interval);
  spill.discard();
  expect(spill.readAll()).toEqual([]);
});
