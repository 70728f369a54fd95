import type { ClosedRun, LoadOptions, OpenRun } from "../config/plan.ts";
import { MinibenchError, RunError } from "../errors.ts";
import { mergeTimelines } from "../stats/intervals.ts";
import { withStageResults } from "../stats/stage-results.ts";
import { mergeConcurrentRuns } from "../stats/merge.ts";
import type { Interval, Phase, RunResult } from "../stats/result.ts";
import type { IntervalRecording } from "./interval-timer.ts";
import { runClosed, runOpen, type RunHooks } from "./run.ts";
import { stageSpans, type Stage } from "./stages.ts";

/**
 * `--threads N`: the same run split into N shares (connections, requests, rate), each on its own
 * Bun Worker with its own event loop, merged exactly at the end (histograms added, counts and
 * rates summed). With one thread the run happens on this thread.
 */

export type ThreadRequest =
  | { type: "run"; load: LoadOptions; run: ClosedRun | OpenRun; phase: Phase; intervalS: number | null; keepIntervals: boolean }
  /** Every thread is ready for its next repeat: start it at this wall-clock time. */
  | { type: "start"; atEpochMs: number }
  | { type: "stop" };
export type ThreadReply =
  | { type: "interval"; interval: Interval; repeat: number; startedAtMs: number }
  /** Ready for the next repeat (the engine open, the warm-up done): waiting for "start". */
  | { type: "ready" }
  | { type: "done"; results: RunResult[] }
  | { type: "failed"; message: string; exitCode: number };

export async function runLoad(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks = {}): Promise<RunResult[]> {
  const results = load.threads === 1 ? await runOn(load, run, phase, hooks) : await runThreaded(load, run, phase, hooks);
  // Stages are judged on the whole run, threads added together.
  const spans = run.kind === "open" ? stageSpans(run) : null;
  return spans === null ? results : results.map((result) => withStageResults(result, spans));
}

export function runOn(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks): Promise<RunResult[]> {
  return run.kind === "closed" ? runClosed(load, run, phase, hooks) : runOpen(load, run, hooks);
}

/** `total` split into `parts` whole shares that differ by at most one. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Each thread's share of a profile: every level divided by the threads. */
const shareOf = (stages: readonly Stage[], threads: number) => stages.map((stage) => ({ ...stage, target: stage.target / threads }));

function split(run: ClosedRun | OpenRun, threads: number): (ClosedRun | OpenRun)[] {
  const concurrency = shares(run.concurrency, threads);
  if (run.kind === "closed") {
    const requests = run.requests === null ? null : shares(run.requests, threads);
    const warmup = shares(run.warmup, threads);
    const staged = run.stages ? { stages: shareOf(run.stages, threads), startConnections: (run.startConnections ?? 0) / threads } : {};
    return concurrency.map((c, i) => ({ ...run, concurrency: c, requests: requests?.[i] ?? null, warmup: warmup[i]!, ...staged }));
  }
  const backlog = shares(run.backlog, threads);
  const stages = run.stages ? shareOf(run.stages, threads) : undefined;
  return concurrency.map((c, i) => ({ ...run, concurrency: c, rateRps: run.rateRps / threads, backlog: backlog[i]!, ...(stages ? { stages } : {}) }));
}

/**
 * Wall-clock milliseconds, sub-millisecond: the one time base threads share. Each Worker's
 * `Bun.nanoseconds()` counts from its own start, so a common start is passed as a wall-clock time
 * and each thread turns it into its own clock.
 */
export const epochNowMs = () => performance.timeOrigin + performance.now();

/** Ahead of now, the common start: long enough for the message to reach every thread. */
const START_MARGIN_MS = 20;

async function runThreaded(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks): Promise<RunResult[]> {
  const join = hooks.intervals ? new IntervalJoin(load.threads, hooks.intervals) : null;
  function stop() {
    for (const { worker } of workers) worker.postMessage({ type: "stop" } satisfies ThreadRequest);
  }
  // A repeat starts when every thread still running is ready for it, at one wall-clock time.
  const running = new Set(Array.from({ length: load.threads }, (_, thread) => thread));
  const ready = new Set<number>();
  const startReady = () => {
    if (ready.size === 0 || [...running].some((thread) => !ready.has(thread))) return;
    // Every thread sent its intervals of the repeats before this one ahead of its "ready": those
    // still waiting for a thread that had one interval fewer are complete, and heard now, in order.
    join?.flush();
    const start = { type: "start", atEpochMs: epochNowMs() + START_MARGIN_MS } satisfies ThreadRequest;
    for (const thread of ready) workers[thread]!.worker.postMessage(start);
    ready.clear();
  };
  const workers = split(run, load.threads).map((share, thread) => {
    const worker = new Worker(new URL("./thread-worker.ts", import.meta.url));
    const reply = new Promise<ThreadReply>((resolve) => {
      // Done or failed: the others no longer wait for it to start a repeat, and a failure stops them.
      const settle = (last: ThreadReply) => {
        running.delete(thread);
        if (last.type === "failed") stop();
        startReady();
        resolve(last);
      };
      worker.onmessage = (event: MessageEvent<ThreadReply>) => {
        if (event.data.type === "interval") join?.add(thread, event.data);
        else if (event.data.type === "ready") {
          ready.add(thread);
          startReady();
        } else settle(event.data);
      };
      worker.onerror = (event) => settle({ type: "failed", message: event.message, exitCode: 1 });
    });
    const intervalS = hooks.intervals?.intervalS ?? null;
    const keepIntervals = hooks.intervals?.keep !== false;
    const threadLoad = { ...load, threads: 1, thread: { index: thread, count: load.threads } };
    worker.postMessage({ type: "run", load: threadLoad, run: share, phase, intervalS, keepIntervals } satisfies ThreadRequest);
    return { worker, reply };
  });

  hooks.signal?.addEventListener("abort", stop);
  try {
    const replies = await Promise.all(workers.map(({ reply }) => reply));
    join?.flush();
    const failed = replies.find((reply) => reply.type === "failed");
    if (failed?.type === "failed") throw failed.exitCode === 1 ? new RunError(failed.message) : new MinibenchError(failed.message, failed.exitCode);
    const perThread = replies.map((reply) => (reply.type === "done" ? reply.results : []));
    const repeats = Math.min(...perThread.map((results) => results.length));
    const merged: RunResult[] = [];
    for (let i = 0; i < repeats; i++) {
      const result = mergeConcurrentRuns(perThread.map((results) => results[i]!));
      merged.push(result);
      hooks.onRepeat?.(result);
    }
    return merged;
  } finally {
    hooks.signal?.removeEventListener("abort", stop);
    for (const { worker } of workers) worker.terminate();
  }
}

/**
 * The threads' intervals, added as they come: interval k of a repeat is passed on once every thread
 * has sent its interval k (the threads' timers fire within a millisecond or so of each other).
 * Those still incomplete when the threads are done (a thread whose run ended just before a
 * boundary has one interval fewer) are passed on as they are.
 */
class IntervalJoin {
  private readonly sentByThread: Map<number, number>[];
  private readonly waiting = new Map<string, { repeat: number; members: { startedAtMs: number; interval: Interval }[] }>();

  constructor(
    private readonly threads: number,
    private readonly recording: IntervalRecording,
  ) {
    this.sentByThread = Array.from({ length: threads }, () => new Map());
  }

  add(thread: number, message: { interval: Interval; repeat: number; startedAtMs: number }): void {
    const sent = this.sentByThread[thread]!;
    const index = sent.get(message.repeat) ?? 0;
    sent.set(message.repeat, index + 1);
    const key = `${message.repeat}|${index}`;
    const entry = this.waiting.get(key) ?? { repeat: message.repeat, members: [] };
    entry.members.push({ startedAtMs: message.startedAtMs, interval: message.interval });
    this.waiting.set(key, entry);
    if (entry.members.length === this.threads) this.pass(key);
  }

  flush(): void {
    for (const key of [...this.waiting.keys()]) this.pass(key);
  }

  private pass(key: string): void {
    const { repeat, members } = this.waiting.get(key)!;
    this.waiting.delete(key);
    const merged = mergeTimelines(members.map((member) => ({ startedAtMs: member.startedAtMs, intervals: [member.interval] })));
    this.recording.onInterval?.(merged.intervals[0]!, repeat, merged.startedAtMs);
  }
}
