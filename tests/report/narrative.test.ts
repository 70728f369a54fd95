import { describe, expect, test } from "bun:test";
import { presetNarrative } from "../../src/report/narrative.ts";
import type { ResultDocument } from "../../src/stats/document.ts";
import { presetDocument } from "../support/documents.ts";

const narrate = (document: ResultDocument) => presetNarrative(document.summary.preset!, document.summary.groups, document.runs);

describe("presetNarrative", () => {
  const document = presetDocument();
  const text = narrate(document);
  const lines = text.split("\n");

  test("the capacity first", () => {
    expect(lines[0]).toMatch(/^capacity \(best closed-loop throughput\): [\d,]+ req\/s$/);
  });

  test("a level that held says it was sustained, with its percentiles", () => {
    expect(lines[1]).toMatch(/^at 50% of capacity: sustained [\d,]+ req\/s \(achieved [\d,]+\), p50 [\d.]+ ms, p99 [\d.]+ ms$/);
  });

  test("a level that did not: said in plain words before any percentile, then the limit, then the percentiles and what they leave out", () => {
    const at110 = lines.findIndex((line) => line.startsWith("at 110% of capacity"));
    const target = document.summary.preset!.levels[2]!.targetRps.toLocaleString("en-US");
    expect(lines[at110]).toStartWith(`at 110% of capacity: could not sustain ${target} req/s: achieved`);
    expect(lines[at110]).toContain("67% of scheduled requests were never sent");
    expect(lines[at110 + 1]).toStartWith("  the limit: ");
    const sent = lines.slice(at110).find((line) => line.startsWith("  of the requests sent: "))!;
    expect(sent).toContain("(percentiles exclude 4,000 dropped requests (never sent, so never timed))");
  });

  test("the closing line says whether the last level held before it speaks of p99", () => {
    expect(lines.at(-1)).toMatch(/^→ 110% of capacity was not sustained; p99 went from [\d.]+ ms \(at 50%\) to [\d.,]+ (ms|s), not counting the dropped requests$/);
  });

  test("a level that achieved more than the calibrated capacity is called out", () => {
    const exceeded = presetDocument();
    const group = exceeded.summary.groups.find((g) => g.phase === "open" && g.targetRps === exceeded.summary.preset!.levels[2]!.targetRps)!;
    group.achievedRps = exceeded.summary.preset!.capacityRps * 1.05;
    expect(narrate(exceeded)).toContain("more than the calibrated capacity");
    expect(text).not.toContain("more than the calibrated capacity");
  });
});
