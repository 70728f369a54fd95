import { expect, test } from "bun:test";
import { runsOfGroup, targetSummaries } from "../../src/stats/by-target.ts";
import { decodeHistogram } from "../../src/stats/histogram.ts";
import { OTHER_TARGETS } from "../../src/stats/result.ts";
import { summarizeRepeats } from "../../src/stats/summary.ts";
import { pooledRun } from "../support/targets.ts";

test("targets in first-seen order, (other) last; counts summed, percentiles the median of the repeats that sent to them", () => {
  const runs = [
    pooledRun(1, [
      { name: OTHER_TARGETS, latenciesUs: [9000] },
      { name: "b", latenciesUs: [2000, 2000], errors: { timeout: 2 } },
    ]),
    pooledRun(2, [
      { name: "b", latenciesUs: [4000] },
      { name: "a", latenciesUs: [1000] },
    ]),
    pooledRun(3, [{ name: "b", latenciesUs: [3000] }]),
  ];
  const targets = targetSummaries(runs);
  expect(targets.map((t) => [t.name, t.repeats, t.requests, t.ok, t.errors.timeout])).toEqual([
    ["b", 3, 6, 4, 2],
    ["a", 1, 1, 1, 0],
    [OTHER_TARGETS, 1, 1, 1, 0],
  ]);
  // b's p50s per repeat: 2, 4 and 3 ms (HdrHistogram's bucket tops), median 3.
  expect(targets[0]!.latencyMs.p50).toBeCloseTo(3, 2);
  expect(targets[0]!.statuses).toEqual({ "200": 4 });
  // The merged histogram holds every latency of every repeat.
  expect(decodeHistogram(targets[0]!.histogram).totalCount).toBe(4);
});

test("runs of one fixed request have no targets; a point's runs are found by phase, concurrency and rate", () => {
  const runs = [pooledRun(1, [{ name: "a", latenciesUs: [1000] }], 4), pooledRun(1, [{ name: "a", latenciesUs: [1000, 1000] }], 8)];
  const [, second] = summarizeRepeats(runs);
  expect(runsOfGroup({ runs } as never, second!)).toEqual([runs[1]!]);
  expect(targetSummaries([{ ...runs[0]!, byTarget: undefined }])).toEqual([]);
});
