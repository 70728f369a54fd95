import { describe, expect, test } from "bun:test";
import { resultDocument, type ResultDocument } from "../../src/stats/document.ts";
import { decodeHistogram, encodeHistogram, LatencyRecorder } from "../../src/stats/histogram.ts";
import { mergeDocuments, type NamedDocument } from "../../src/stats/merge-documents.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { latencyMs, summarizeRepeats, zeroErrors } from "../../src/stats/summary.ts";
import { validate } from "../support/json-schema.ts";
import { seededRandom } from "../support/random.ts";
import schema from "../result.schema.json" with { type: "json" };
import { documentOf, runsOf } from "../support/compare-documents.ts";
import { pooledDocument, pooledRun } from "../support/targets.ts";

const START = Date.parse("2026-01-02T03:04:05.000Z");

/** An open-loop run whose latencies are exactly `valuesUs`. */
function openRun(valuesUs: number[], rateRps: number, repeat: number, concurrency = 300): RunResult {
  const latency = new LatencyRecorder();
  const service = new LatencyRecorder();
  for (const us of valuesUs) {
    latency.record(us);
    service.record(Math.floor(us / 2));
  }
  return {
    phase: "open",
    concurrency,
    targetRps: rateRps,
    repeat,
    durationS: 2,
    sent: valuesUs.length,
    requests: valuesUs.length,
    ok: valuesUs.length,
    dropped: 0,
    errors: zeroErrors(),
    statuses: { "200": valuesUs.length },
    throughputRps: valuesUs.length / 2,
    achievedRps: valuesUs.length / 2,
    latencyMs: latencyMs(latency.histogram),
    serviceTimeMs: latencyMs(service.histogram),
    histogram: encodeHistogram(latency.histogram),
    serviceHistogram: encodeHistogram(service.histogram),
  };
}

function generator(name: string, runs: RunResult[], startOffsetMs = 0, options: Record<string, unknown> = {}): NamedDocument {
  const document = resultDocument("open", "http://10.0.0.1:8000/", new Date(START + startOffsetMs), { kind: "open", rateRps: runs[0]!.targetRps, concurrency: 300, backlog: 300, warmupS: 1, ...options }, runs, summarizeRepeats(runs), false);
  return { name, document };
}

function merged(inputs: NamedDocument[]): { document: ResultDocument; warnings: string[] } {
  const outcome = mergeDocuments(inputs);
  if (!outcome.ok) throw new Error(outcome.problem);
  return outcome;
}

describe("mergeDocuments", () => {
  // Three generators, two repeats each, latencies drawn from different ranges: the merged
  // histogram must be the one a single recorder of every value would hold, bucket for bucket.
  const random = seededRandom(11);
  const values = [0, 1, 2].map((g) => [1, 2].map(() => Array.from({ length: 3000 + 500 * g }, () => Math.floor(50 + random() * 2000 * (g + 1)))));
  const inputs = values.map((perRepeat, g) => generator(`gen-${g}.json`, perRepeat.map((v, r) => openRun(v, 1000, r + 1)), g));

  test("is exact: each merged run's histogram equals one recorder of all its values", () => {
    const { document } = merged(inputs);
    expect(document.runs).toHaveLength(2);
    for (const [r, run] of document.runs.entries()) {
      const all = new LatencyRecorder();
      for (const perRepeat of values) for (const us of perRepeat[r]!) all.record(us);
      expect(run.histogram).toBe(encodeHistogram(all.histogram));
      expect(run.latencyMs).toEqual(latencyMs(all.histogram));
      expect(decodeHistogram(run.histogram).totalCount).toBe(values.reduce((n, perRepeat) => n + perRepeat[r]!.length, 0));
    }
  });

  test("the summary is recomputed: its merged histogram holds every value of every repeat", () => {
    const { document } = merged(inputs);
    const all = new LatencyRecorder();
    for (const perRepeat of values) for (const repeat of perRepeat) for (const us of repeat) all.record(us);
    expect(document.summary.groups).toHaveLength(1);
    expect(document.summary.groups[0]!.merged.histogram).toBe(encodeHistogram(all.histogram));
    expect(document.summary.groups[0]!.repeats).toBe(2);
  });

  test("rates, counts and the load shares add up; the result is a valid document", () => {
    const { document, warnings } = merged(inputs);
    expect(warnings).toEqual([]);
    const run = document.runs[0]!;
    expect(run.targetRps).toBe(3000);
    expect(run.concurrency).toBe(900);
    expect(run.requests).toBe(3000 + 3500 + 4000);
    expect(run.achievedRps).toBe((3000 + 3500 + 4000) / 2);
    expect(document.options).toMatchObject({ rateRps: 3000, concurrency: 900, backlog: 900, generators: 3, warmupS: 1 });
    expect(document.startedAt).toBe(new Date(START).toISOString());
    expect(validate(JSON.parse(JSON.stringify(document)), schema)).toEqual([]);
  });

  test("uneven shares (1001 + 1000 + 999 req/s) are matched by position and sum to the whole", () => {
    const uneven = [1001, 1000, 999].map((rate, g) => generator(`gen-${g}.json`, [1, 2].map((r) => openRun(values[g]![r - 1]!, rate, r)), 0));
    const { document, warnings } = merged(uneven);
    expect(warnings).toEqual([]);
    expect(document.runs.map((r) => [r.repeat, r.targetRps])).toEqual([
      [1, 3000],
      [2, 3000],
    ]);
  });

  test("generators that did not overlap in time: a warning that says so", () => {
    // Each document spans 2 repeats × 2 s; the second starts 10 s later.
    const { warnings } = merged([inputs[0]!, generator("late.json", inputs[1]!.document.runs, 10_000)]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("did not overlap in time");
    expect(warnings[0]).toContain("late.json");
  });

  test("overlapping, but started over a tenth of the run apart: a softer warning", () => {
    const { warnings } = merged([inputs[0]!, generator("slow-start.json", inputs[1]!.document.runs, 1_500)]);
    expect(warnings).toEqual([expect.stringMatching(/^slow-start\.json started 1\.500 s after gen-0\.json/)]);
  });

  test("different options (other than each generator's share) and targets are warned about", () => {
    const other = generator("other.json", inputs[1]!.document.runs, 0, { warmupS: 5, rateRps: 1234 });
    other.document.url = "http://10.0.0.2:8000/";
    const { warnings } = merged([inputs[0]!, other]);
    expect(warnings).toEqual([
      "other.json measured http://10.0.0.2:8000/, gen-0.json http://10.0.0.1:8000/: were they load on the same target?",
      "other.json ran with different options than gen-0.json: warmupS 1 vs 5",
    ]);
  });

  test("a run missing from one generator is merged from the others, with a warning", () => {
    const short = generator("short.json", [inputs[1]!.document.runs[0]!], 0);
    const { document, warnings } = merged([inputs[0]!, short]);
    expect(document.runs.map((r) => r.requests)).toEqual([3000 + 3500, 3000]);
    expect(warnings).toEqual(["open 1000 req/s repeat 2 is missing from short.json: merged from the other 1 document only"]);
  });

  test("nothing in common, or a single document: a problem, no document", () => {
    expect(mergeDocuments([{ name: "closed.json", document: documentOf() }, inputs[0]!])).toEqual({
      ok: false,
      problem: "nothing to merge: no run (phase, concurrency, rate, repeat) appears in more than one document",
    });
    expect(mergeDocuments([inputs[0]!]).ok).toBe(false);
  });

  test("closed-loop documents merge too: throughput summed per repeat", () => {
    const a = { name: "a.json", document: documentOf() };
    const b = { name: "b.json", document: documentOf() };
    const { document } = merged([a, b]);
    expect(document.runs.map((r) => r.throughputRps)).toEqual(runsOf().map((r) => 2 * r.throughputRps));
    expect(document.runs.every((r) => r.concurrency === 40)).toBe(true);
  });
});

describe("request pools", () => {
  const named = (name: string, targets: string[], generator: "fixed" | "pool" = "pool"): NamedDocument => ({
    name,
    document: pooledDocument([{ ...pooledRun(1, targets.map((target) => ({ name: target, latenciesUs: [1000, 2000] }))), generator }]),
  });

  test("the same targets on every generator: no warning about them", () => {
    expect(merged([named("a.json", ["login", "GET /items"]), named("b.json", ["GET /items", "login"])]).warnings.filter((w) => w.includes("target"))).toEqual([]);
  });

  test("other targets, or requests made otherwise, are named", () => {
    const many = ["t1", "t2", "t3", "t4", "t5"];
    expect(merged([named("a.json", ["login", "x"]), named("b.json", ["login", ...many])]).warnings).toContain(
      "b.json sent to other targets than a.json (also t1, t2, t3 and 2 more; not x): were they running the same workload?",
    );
    expect(merged([named("a.json", ["login"]), named("b.json", ["login"], "fixed")]).warnings).toContain(
      "b.json made its requests otherwise than a.json (fixed vs pool): were they running the same workload?",
    );
  });
});
