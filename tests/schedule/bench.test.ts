import { expect, test } from "bun:test";
import type { OutputPlan } from "../../src/config/bench-plan.ts";
import { thresholdsVerdict } from "../../src/schedule/bench.ts";
import { resultDocument } from "../../src/stats/document.ts";
import { summarizeRepeats, zeroErrors } from "../../src/stats/summary.ts";
import { closedDocument, run, STARTED_AT } from "../support/documents.ts";

const output = (extra: Partial<OutputPlan>): OutputPlan => ({
  json: false,
  outPath: null,
  csvPath: null,
  hgrmPath: null,
  reportPath: null,
  progress: false,
  quiet: true,
  failP99Ms: null,
  failErrorRate: null,
  failCheckRate: null,
  startAtMs: null,
  intervalS: null,
  hlogPath: null,
  intervalsJsonPath: null,
  intervalLines: false,
  ...extra,
});

test("--fail-p99 and --fail-error-rate: 3 when exceeded, 0 when met", () => {
  const document = closedDocument();
  expect(thresholdsVerdict(document, output({ failP99Ms: 0.001 }))).toBe(3);
  expect(thresholdsVerdict(document, output({ failP99Ms: 60_000 }))).toBe(0);
  expect(thresholdsVerdict(document, output({ failErrorRate: 0 }))).toBe(3);
  expect(thresholdsVerdict(document, output({ failErrorRate: 0.5 }))).toBe(0);
});

test("a point with no samples cannot be judged: 2, never a silent pass", () => {
  // An open-loop point where every scheduled request was dropped: no latency, no completed request.
  const empty = { ...run({ phase: "open", concurrency: 10, targetRps: 1000, lowUs: 1, highUs: 2, throughputRps: 1 }), requests: 0, ok: 0, sent: 0, dropped: 5000, errors: zeroErrors(), statuses: {} };
  const measured = run({ phase: "closed", concurrency: 10, lowUs: 100, highUs: 200, throughputRps: 1000 });
  const runs = [measured, empty];
  const document = resultDocument("closed", "http://127.0.0.1:1/", STARTED_AT, {}, runs, summarizeRepeats(runs), false);
  expect(thresholdsVerdict(document, output({ failP99Ms: 60_000 }))).toBe(2);
  expect(thresholdsVerdict(document, output({ failErrorRate: 1 }))).toBe(2);
  // Without a gate there is nothing to judge.
  expect(thresholdsVerdict(document, output({}))).toBe(0);
  // A threshold exceeded elsewhere is still a failure.
  expect(thresholdsVerdict(document, output({ failP99Ms: 0.001 }))).toBe(3);
});
