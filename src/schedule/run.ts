import { chooseTransport } from "../client/choose-transport.ts";
import { Engine, type EngineOptions } from "../client/engine.ts";
import { ResponseChecks } from "../workload/checks.ts";
import { WorkloadScript } from "../workload/script.ts";
import { PoolSource } from "../workload/workload.ts";
import { openFileLimit, outOfFiles, RUNTIME_FILES } from "../client/fd-limit.ts";
import { nowUs } from "../client/clock.ts";
import type { TransportCapabilities } from "../client/transport.ts";
import { Tally } from "../stats/tally.ts";
import type { ClosedRun, LoadOptions, OpenRun } from "../config/plan.ts";
import { RunError } from "../errors.ts";
import type { Phase, RunResult } from "../stats/result.ts";
import { closedResult, openResult } from "../stats/run-result.ts";
import { outOfRangeWarning, withWarnings } from "../stats/warnings.ts";
import { closedLoop } from "./closed.ts";
import { openLoop } from "./open.ts";
import { connectionsAt, LoadProfile, meanRateRps, openProfile } from "./stages.ts";
import { IntervalTimer, type IntervalRecording } from "./interval-timer.ts";
import { Waker } from "./waker.ts";

/**
 * Runs the repeats of one closed or open run on one engine: the same engine, the same tally, for
 * every mode — a run differs only in its scheduler.
 */

export interface RunHooks {
  /** Aborting stops the run; the repeat in progress is reported as interrupted. */
  signal?: AbortSignal;
  /** Called after each repeat. */
  onRepeat?(result: RunResult): void;
  /** Called when a repeat starts, with the tally it counts into (for a live progress line). */
  onTally?(tally: Tally, repeat: number): void;
  /** Record each repeat over time too: its result then carries its intervals. */
  intervals?: IntervalRecording;
  /**
   * Awaited before each repeat, once the engine is ready: resolves at the repeat's start, with its
   * time on this thread's clock. With `--threads`, the same instant for every thread, so their
   * schedules (a profile's stages above all) line up; alone, now.
   */
  startAt?: () => Promise<number>;
}

const repeatStart = (hooks: RunHooks) => (hooks.startAt ? hooks.startAt() : Promise.resolve(nowUs()));

const intervalTimer = (tally: Tally, repeat: number, hooks: RunHooks) => (hooks.intervals ? new IntervalTimer(tally, hooks.intervals, repeat) : null);

/** An engine of `connections`, `initial` of them (all when unset) opened before the clock starts. */
async function openEngine(load: LoadOptions, connections: number, needs: TransportCapabilities, initial?: number): Promise<Engine> {
  const limit = openFileLimit();
  if (limit !== null && connections + RUNTIME_FILES > limit) {
    throw new RunError(
      `${connections} connections need more open files than this process may have (${limit}): raise the limit, e.g. \`ulimit -n ${connections + 1024}\``,
    );
  }
  const engine = new Engine({
    target: load.target,
    connections,
    pipeline: load.pipeline,
    keepAlive: load.keepAlive,
    timeoutMs: load.timeoutMs,
    transport: chooseTransport(load.target, needs, load.sockets),
    ...(await workloadOptions(load)),
  });
  const error = await engine.open(initial);
  if (error !== null) {
    engine.close();
    const { hostname, port } = load.target;
    const advice = outOfFiles() ? " (out of file descriptors: raise the limit with `ulimit -n`)" : "";
    throw new RunError(`cannot connect to ${hostname}:${port}: ${error}${advice}`);
  }
  return engine;
}

/**
 * One thread's picker, filler and checks, made from the plan's workload (which crossed to it as
 * data). A `--script` workload's module is imported here, in the thread, for its `pick(i)` and
 * its `check(response)`.
 */
async function workloadOptions(load: LoadOptions): Promise<Pick<EngineOptions, "source" | "checks" | "scriptCheck">> {
  const thread = load.thread ?? { index: 0, count: 1 };
  const uses = load.workload?.script;
  // The module as the user named it, for messages: every thread shares the process's directory.
  const script = uses?.pick || uses?.check ? await WorkloadScript.load(load.workload!.file) : null;
  const picker = script?.hasPick ? script.picker.bind(script) : null;
  return {
    source: load.workload ? new PoolSource(load.workload, thread.index, thread.count, picker) : null,
    checks: load.checks ? new ResponseChecks(load.checks) : null,
    scriptCheck: script?.check() ?? null,
  };
}

/** A script's `pick(i)` or `check(response)` that threw or returned something wrong ended the loop: the run stops with its error. */
function raiseScriptFailure(engine: Engine): void {
  const failure = engine.failure;
  if (failure !== null) throw failure;
}

/** An `once` workload sends each target its weight's times: a warm-up would take some of them. */
const warms = (load: LoadOptions) => load.workload?.order !== "once";

/** What only the tally knows and the result must say. */
function tallyWarnings(result: RunResult, tally: Tally): RunResult {
  const outOfRange = outOfRangeWarning(tally);
  return outOfRange === null ? result : withWarnings(result, [outOfRange]);
}

export async function runClosed(load: LoadOptions, run: ClosedRun, phase: Phase, hooks: RunHooks = {}): Promise<RunResult[]> {
  const profile = run.stages ? new LoadProfile(run.startConnections ?? 0, run.stages) : null;
  // In stages, connections open as the level first needs them (a free slot's connection is dialled
  // when it is first sent on), so the server sees the connections rise with the profile.
  const engine = await openEngine(load, run.concurrency, { punctualTimers: false }, profile ? Math.max(1, connectionsAt(profile, 0)) : undefined);
  const results: RunResult[] = [];
  try {
    engine.tally = new Tally(0);
    await closedLoop(engine, { requests: warms(load) ? run.warmup : 0 }, nowUs, hooks.signal);
    raiseScriptFailure(engine);
    for (let repeat = 1; repeat <= run.repeat && !hooks.signal?.aborted; repeat++) {
      engine.rewind();
      const startUs = await repeatStart(hooks);
      engine.tally = new Tally(startUs, Number.POSITIVE_INFINITY, engine.shape);
      hooks.onTally?.(engine.tally, repeat);
      const timer = intervalTimer(engine.tally, repeat, hooks);
      const stop =
        run.durationS === null
          ? { requests: run.requests ?? 0, ...(run.minDurationS ? { notBeforeUs: startUs + run.minDurationS * 1e6 } : {}) }
          : { untilUs: startUs + run.durationS * 1e6, ...(profile ? { startUs, inFlightAt: (tS: number) => connectionsAt(profile, tS) * load.pipeline } : {}) };
      // The intervals cover what the run's duration measures: from the first send to the last outcome.
      timer?.start(nowUs());
      await closedLoop(engine, stop, nowUs, hooks.signal);
      raiseScriptFailure(engine);
      const timeline = timer?.finish(engine.tally.lastCompletionUs) ?? null;
      const result = tallyWarnings(closedResult(engine.tally, phase, run.concurrency, repeat, hooks.signal?.aborted === true, timeline), engine.tally);
      results.push(result);
      hooks.onRepeat?.(result);
    }
  } finally {
    engine.close();
  }
  return results;
}

export async function runOpen(load: LoadOptions, run: OpenRun, hooks: RunHooks = {}): Promise<RunResult[]> {
  const connections = Math.ceil(run.concurrency / load.pipeline);
  // Not the epoll layer: it would hold the waker's messages back for up to a few milliseconds.
  const engine = await openEngine(load, connections, { punctualTimers: true });
  const waker = await Waker.start();
  const results: RunResult[] = [];
  try {
    for (let repeat = 1; repeat <= run.repeat && !hooks.signal?.aborted; repeat++) {
      engine.rewind();
      // The warm-up runs once, before the first repeat, on the same schedule: its requests just do not count.
      const startUs = await repeatStart(hooks);
      const warmupS = repeat === 1 && warms(load) ? run.warmupS : 0;
      const windowStartUs = startUs + warmupS * 1e6;
      const endUs = windowStartUs + run.durationS * 1e6;
      engine.tally = new Tally(windowStartUs, endUs, engine.shape);
      hooks.onTally?.(engine.tally, repeat);
      // The timeline starts with the measured window: nothing is counted before it.
      const timer = intervalTimer(engine.tally, repeat, hooks);
      timer?.start(windowStartUs);
      await openLoop(
        engine,
        {
          profile: openProfile(run, warmupS),
          arrival: run.arrival,
          startUs,
          backlog: run.backlog,
          drainUs: load.timeoutMs * 1000 + 100_000,
        },
        nowUs,
        hooks.signal,
        waker,
      );
      raiseScriptFailure(engine);
      const stoppedUs = nowUs();
      // Stopped before the window opened: the warm-up measured nothing, and a run of zeros would lie.
      if (stoppedUs < windowStartUs) {
        timer?.cancel();
        break;
      }
      // The intervals go on past the window while the last responses drain: they are in the run's histogram.
      const timeline = timer?.finish(Math.max(Math.min(stoppedUs, endUs), engine.tally.lastCompletionUs)) ?? null;
      const elapsedS = Math.max(0, Math.min(stoppedUs, endUs) - windowStartUs) / 1e6;
      const result = tallyWarnings(openResult(engine.tally, { concurrency: run.concurrency, rateRps: meanRateRps(run) }, repeat, elapsedS, hooks.signal?.aborted === true, timeline), engine.tally);
      results.push(result);
      hooks.onRepeat?.(result);
    }
  } finally {
    waker.stop();
    engine.close();
  }
  return results;
}
