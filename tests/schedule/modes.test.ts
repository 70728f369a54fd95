import { describe, expect, test } from "bun:test";
import type { ClosedRun, OpenRun, PresetRun } from "../../src/config/plan.ts";
import { RunError } from "../../src/errors.ts";
import { runPreset, runSweep, type RunStep } from "../../src/schedule/modes.ts";
import type { Phase, RunResult } from "../../src/stats/result.ts";
import { run } from "../support/documents.ts";

/** Sweeps and presets with a fake `runStep`: which steps they ask for, and what they make of the results. */

interface Asked {
  step: ClosedRun | OpenRun;
  phase: Phase;
  label: string;
}

/** A server whose throughput grows with concurrency up to 40,000 req/s, and that delivers `openShare` of any open-loop target. */
function fakeSteps(openShare = 1): { asked: Asked[]; runStep: RunStep } {
  const asked: Asked[] = [];
  const runStep: RunStep = async (step, phase, label) => {
    asked.push({ step, phase, label });
    if (step.kind === "closed") {
      const throughputRps = Math.min(40_000, step.concurrency * 1_000);
      return [1, 2].map((repeat) => run({ phase, concurrency: step.concurrency, repeat, lowUs: 100, highUs: 900, throughputRps }, repeat));
    }
    const result = run({ phase: "open", concurrency: step.concurrency, targetRps: step.rateRps, lowUs: 100, highUs: 900, throughputRps: step.rateRps * openShare });
    return [result];
  };
  return { asked, runStep };
}

const preset = (closed: Partial<PresetRun["profile"]["closed"]> = {}, open: Partial<PresetRun["profile"]["open"]> = {}): PresetRun => ({
  kind: "preset",
  profileName: "p",
  outDir: ".",
  calibrate: "sweep",
  profile: {
    closed: { concurrencies: [1, 10, 50, 100], totalPerC: 1000, minDurationS: 1.5, warmup: 200, repeat: 2, ...closed },
    open: { durationS: 8, warmupS: 3, repeat: 1, concurrency: null, levels: [0.5, 0.9, 1.1], ...open },
    sloP99Ms: 20,
  },
});

describe("runSweep", () => {
  test("one closed step per concurrency, each with the sweep's count, minimum duration, warm-up and repeats", async () => {
    const { asked, runStep } = fakeSteps();
    const measured = await runSweep({ kind: "sweep", concurrencies: [1, 20, 80], requests: 3000, minDurationS: 2, warmup: 300, repeat: 2, sloP99Ms: null }, runStep, new AbortController().signal);
    expect(asked.map((a) => a.step)).toEqual(
      [1, 20, 80].map((concurrency) => ({ kind: "closed", concurrency, requests: 3000, durationS: null, minDurationS: 2, warmup: 300, repeat: 2 })),
    );
    expect(asked.map((a) => a.label)).toEqual(["sweep c=1 (1/3)", "sweep c=20 (2/3)", "sweep c=80 (3/3)"]);
    expect(measured.runs).toHaveLength(6);
    expect(measured.findings.sweep?.best).toEqual({ concurrency: 80, throughputRps: 40_000 });
    expect(measured.findings.sweep?.knee).toEqual({ concurrency: 80, throughputRps: 40_000 });
  });

  test("an abort stops before the next concurrency", async () => {
    const { asked, runStep } = fakeSteps();
    const abort = new AbortController();
    const stopping: RunStep = (step, phase, label) => {
      abort.abort();
      return runStep(step, phase, label);
    };
    await runSweep({ kind: "sweep", concurrencies: [1, 2, 3], requests: 10, minDurationS: 0, warmup: 0, repeat: 1, sloP99Ms: null }, stopping, abort.signal);
    expect(asked).toHaveLength(1);
  });
});

describe("runPreset", () => {
  test("calibration with the profile's minimum duration, then open levels of the capacity, each with a backlog of 3 s of requests", async () => {
    const { asked, runStep } = fakeSteps();
    const measured = await runPreset(preset(), runStep, new AbortController().signal);
    const calibration = asked.filter((a) => a.phase === "sweep").map((a) => a.step as ClosedRun);
    expect(calibration.map((s) => [s.concurrency, s.requests, s.minDurationS])).toEqual([
      [1, 1000, 1.5],
      [10, 1000, 1.5],
      [50, 1000, 1.5],
      [100, 1000, 1.5],
    ]);
    expect(measured.findings.preset).toEqual({
      profile: "p",
      calibration: "sweep",
      capacityRps: 40_000,
      levels: [
        { fraction: 0.5, targetRps: 20_000 },
        { fraction: 0.9, targetRps: 36_000 },
        { fraction: 1.1, targetRps: 44_000 },
      ],
    });
    const open = asked.filter((a) => a.phase === "open").map((a) => a.step as OpenRun);
    expect(open.map((s) => [s.rateRps, s.concurrency, s.backlog, s.durationS, s.warmupS])).toEqual([
      [20_000, 100, 60_000, 8, 3],
      [36_000, 100, 108_000, 8, 3],
      [44_000, 100, 132_000, 8, 3],
    ]);
    expect(asked.filter((a) => a.phase === "open").map((a) => a.label)).toEqual([
      "open 50% = 20000 req/s (1/3)",
      "open 90% = 36000 req/s (2/3)",
      "open 110% = 44000 req/s (3/3)",
    ]);
  });

  test("a level that achieves more than the calibrated capacity gets a warning in its runs", async () => {
    const { runStep } = fakeSteps(1);
    const measured = await runPreset(preset(), runStep, new AbortController().signal);
    const [at50, at90, at110] = measured.runs.filter((r: RunResult) => r.phase === "open");
    expect(at50!.warnings ?? []).toEqual([]);
    expect(at90!.warnings ?? []).toEqual([]);
    expect(at110!.warnings).toEqual([
      "open loop at 110% of capacity: achieved 44,000 req/s, more than the calibrated capacity of 40,000 req/s: the calibration underestimated the server",
    ]);
  });

  test("the open cap from the profile when it sets one", async () => {
    const { asked, runStep } = fakeSteps();
    await runPreset(preset({}, { concurrency: 64, levels: [0.5] }), runStep, new AbortController().signal);
    expect((asked.at(-1)!.step as OpenRun).concurrency).toBe(64);
  });

  test("a calibration that measured nothing stops the preset with a run error", async () => {
    const runStep: RunStep = async (step, phase) => [
      { ...run({ phase, concurrency: step.concurrency, lowUs: 1, highUs: 2, throughputRps: 1 }), throughputRps: 0 },
    ];
    await expect(runPreset(preset(), runStep, new AbortController().signal)).rejects.toBeInstanceOf(RunError);
  });
});
