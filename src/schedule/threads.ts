import type { ClosedRun, LoadOptions, OpenRun } from "../config/plan.ts";
import { MinibenchError, RunError } from "../errors.ts";
import { mergeConcurrentRuns } from "../stats/merge.ts";
import type { Phase, RunResult } from "../stats/result.ts";
import { runClosed, runOpen, type RunHooks } from "./run.ts";

/**
 * `--threads N`: the same run split into N shares (connections, requests, rate), each on its own
 * Bun Worker with its own event loop, merged exactly at the end (histograms added, counts and
 * rates summed). With one thread the run happens on this thread.
 */

export type ThreadRequest = { type: "run"; load: LoadOptions; run: ClosedRun | OpenRun; phase: Phase } | { type: "stop" };
export type ThreadReply = { type: "done"; results: RunResult[] } | { type: "failed"; message: string; exitCode: number };

export function runLoad(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks = {}): Promise<RunResult[]> {
  if (load.threads === 1) return runOn(load, run, phase, hooks);
  return runThreaded(load, run, phase, hooks);
}

export function runOn(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks): Promise<RunResult[]> {
  return run.kind === "closed" ? runClosed(load, run, phase, hooks) : runOpen(load, run, hooks);
}

/** `total` split into `parts` whole shares that differ by at most one. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function split(run: ClosedRun | OpenRun, threads: number): (ClosedRun | OpenRun)[] {
  const concurrency = shares(run.concurrency, threads);
  if (run.kind === "closed") {
    const requests = run.requests === null ? null : shares(run.requests, threads);
    const warmup = shares(run.warmup, threads);
    return concurrency.map((c, i) => ({ ...run, concurrency: c, requests: requests?.[i] ?? null, warmup: warmup[i]! }));
  }
  const backlog = shares(run.backlog, threads);
  return concurrency.map((c, i) => ({ ...run, concurrency: c, rateRps: run.rateRps / threads, backlog: backlog[i]! }));
}

async function runThreaded(load: LoadOptions, run: ClosedRun | OpenRun, phase: Phase, hooks: RunHooks): Promise<RunResult[]> {
  const workers = split(run, load.threads).map((share) => {
    const worker = new Worker(new URL("./thread-worker.ts", import.meta.url));
    const reply = new Promise<ThreadReply>((resolve) => {
      worker.onmessage = (event: MessageEvent<ThreadReply>) => resolve(event.data);
      worker.onerror = (event) => resolve({ type: "failed", message: event.message, exitCode: 1 });
    });
    worker.postMessage({ type: "run", load: { ...load, threads: 1 }, run: share, phase } satisfies ThreadRequest);
    return { worker, reply };
  });
  const stop = () => {
    for (const { worker } of workers) worker.postMessage({ type: "stop" } satisfies ThreadRequest);
  };
  hooks.signal?.addEventListener("abort", stop);
  try {
    const replies = await Promise.all(workers.map(({ reply }) => reply));
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
