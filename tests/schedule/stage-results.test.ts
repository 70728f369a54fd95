import { afterAll, expect, test } from "bun:test";
import type { OpenRun } from "../../src/config/plan.ts";
import { parseStages } from "../../src/schedule/stages.ts";
import { runLoad } from "../../src/schedule/threads.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { validate } from "../support/json-schema.ts";
import schema from "../result.schema.json" with { type: "json" };
import { testServer } from "../server/helpers.ts";
import { loadOf } from "./known-capacity-server.ts";

/** An open run in stages on loopback, recorded in intervals: its results stage by stage. */

const server = testServer();
afterAll(() => server.stop(0));

const staged = (stages: string): OpenRun => ({
  kind: "open",
  rateRps: 100,
  durationS: 1.5,
  stages: parseStages("--stages", stages),
  concurrency: 50,
  backlog: 500,
  arrival: "constant",
  repeat: 1,
  warmupS: 0,
});

function expectStagesAddUp(run: RunResult): void {
  const stages = run.stages!;
  for (const key of ["sent", "requests", "ok", "dropped"] as const) {
    expect(stages.reduce((sum, stage) => sum + stage[key], 0)).toBe(run[key]);
  }
}

test.each([1, 2])("stage by stage with %i thread(s): each asks its own rate, gets it, and they add up to the run", async (threads) => {
  // 100 req/s for 0.5 s, a step to 300 for 0.5 s, a ramp down to 0: 50 + 150 + 75 = 275 requests.
  const [run] = await runLoad({ ...loadOf(server.port), threads }, staged("0.5s:100,0s:300,0.5s:300,0.5s:0"), "open", { intervals: { intervalS: 0.1 } });
  expect(run!.targetRps).toBeCloseTo(275 / 1.5, 9);
  expect(run!.sent).toBeGreaterThanOrEqual(275);
  expect(run!.sent).toBeLessThanOrEqual(275 + threads);
  const stages = run!.stages!;
  expect(stages.map(({ stage, startS, durationS, fromRps, toRps, targetRps }) => ({ stage, startS, durationS, fromRps, toRps, targetRps }))).toEqual([
    { stage: 1, startS: 0, durationS: 0.5, fromRps: 100, toRps: 100, targetRps: 100 },
    { stage: 3, startS: 0.5, durationS: 0.5, fromRps: 300, toRps: 300, targetRps: 300 },
    { stage: 4, startS: 1, durationS: 0.5, fromRps: 300, toRps: 0, targetRps: 150 },
  ]);
  expectStagesAddUp(run!);
  // A stage's rate comes from its own intervals, sends and time alike, so it holds even when a stall
  // stretches an interval across a stage's edge. Threads each start the profile when they start,
  // which on a busy machine can be a few hundred milliseconds apart: theirs are only checked to add up.
  // The last stage also holds the drain after the window, so only the constant stages are held to their rate.
  if (threads === 1) for (const stage of stages.slice(0, 2)) expect(Math.abs(stage.achievedRps - stage.targetRps)).toBeLessThanOrEqual(0.2 * stage.targetRps);
  expect(stages[1]!.latencyMs.p50).toBeGreaterThan(0);
  expect(validate(run, { $ref: "#/$defs/run" }, schema)).toEqual([]);
});

test("a run at a constant rate has no stages", async () => {
  const { stages: _, ...constant } = staged("1s:100");
  const [run] = await runLoad(loadOf(server.port), { ...constant, rateRps: 50, durationS: 0.3 }, "open", { intervals: { intervalS: 0.1 } });
  expect(run!.stages).toBeUndefined();
  expect(run!.targetRps).toBe(50);
});
