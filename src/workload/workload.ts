import { UsageError } from "../errors.ts";
import { makePicker, type Order, type Picker } from "./order.ts";
import { originText, Patcher, PoolBuilder, RequestPool, type Origin } from "./pool.ts";
import { Random } from "./random.ts";
import type { TargetDefaults } from "./target-spec.ts";
import { loadTargetsSource, readTargets, type TargetFormat } from "./targets.ts";

/**
 * A run's workload from a targets file: read and encoded once, when the plan is made, into one
 * request pool that every thread receives as it is (typed arrays cross to a Worker by copy).
 * Each thread then makes its own picker and patcher: its random stream comes from the seed and
 * its thread number, and its `{{seq}}` values are thread, thread + threads, … so no two threads
 * send the same one.
 */

export interface WorkloadPlan {
  /** The file as given (or `stdin`), for messages and the run's header. */
  file: string;
  pool: RequestPool;
  order: Order;
  seed: number;
  /**
   * `--script` (then `file` is the module): whether it picks the targets, `pick(i)`, and judges
   * the responses, `check(response)`; for either each thread loads it again.
   */
  script?: { pick: boolean; check: boolean };
}

export interface WorkloadFlags {
  path: string;
  format: TargetFormat | null;
  order: Order;
  seed: number;
  maxPoolBytes: number;
  keepAlive: boolean;
  defaults: TargetDefaults;
}

/**
 * Reads and encodes the targets of `--targets`. Every target must go to one origin: connections
 * are made to one address, so a second origin is refused with both lines named.
 */
export function loadWorkload(flags: WorkloadFlags): WorkloadPlan {
  const source = loadTargetsSource(flags.path);
  const builder = new PoolBuilder(flags.keepAlive, flags.maxPoolBytes, typeof source.text === "string" ? source.text.length : 0);
  readTargets(source, flags.format, flags.defaults, (target, line) => builder.add(target, line));
  const pool = builder.build();
  if (pool.origins.length > 1) {
    const [first, second] = [0, 1].map((i) => `${originText(pool.origins[i]!)} (line ${pool.originLines[i]})`);
    throw new UsageError(
      `${source.file}:${pool.originLines[1]}: expected every target on one origin, as the first: ${first}, but this one is on ${second}; run one bench per origin`,
    );
  }
  return { file: source.file, pool, order: flags.order, seed: flags.seed };
}

/** The single origin of a workload's targets. */
export const originOf = (workload: WorkloadPlan): Origin => workload.pool.origins[0]!;

/**
 * A picker over `count` targets whose request numbers start at `first` and go up by `step`; its
 * `failure`, once set, is an error of the script that ended the run.
 */
export type ScriptPicker = (count: number, first: number, step: number) => Picker & { failure: Error | null };

/** One thread's view of a workload: which target goes next, and its placeholders filled. */
export class PoolSource {
  readonly pool: RequestPool;
  picker: Picker;
  readonly patcher: Patcher;
  private readonly newPicker: () => Picker;

  /**
   * `thread` of `threads`: the `{{seq}}` values this thread takes, and its own random stream.
   * `scriptPicker`: a script's `pick(i)` instead of `--order`, given the request numbers
   * thread, thread + threads, …
   */
  constructor(workload: WorkloadPlan, thread = 0, threads = 1, scriptPicker: ScriptPicker | null = null) {
    // A pool that crossed to a Worker arrives as its tables: they become a pool again here.
    this.pool = workload.pool instanceof RequestPool ? workload.pool : new RequestPool(workload.pool);
    this.newPicker = scriptPicker
      ? () => scriptPicker(this.pool.count, thread, threads)
      : () => makePicker(this.pool.weights, workload.order, new Random(workload.seed + thread), thread, threads);
    this.picker = this.newPicker();
    // The placeholders' random values come from a stream of their own: a rewound order repeats its picks, never its values.
    this.patcher = new Patcher(this.pool, new Random(workload.seed + thread + 0x9e3779b9), thread, threads);
  }

  /** Why a script's `pick(i)` ended the run, or null. */
  get failure(): Error | null {
    return (this.picker as { failure?: Error | null }).failure ?? null;
  }

  /** The order starts again: the same picks as the first time (the same seed); `{{seq}}` goes on. */
  rewind(): void {
    this.picker = this.newPicker();
  }

}
