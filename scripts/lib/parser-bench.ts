/**
 * What the parser micro-benchmarks share: flags, the older version of the sources to compare with
 * (taken from git into a temporary directory and imported beside the current one), and runs that
 * alternate between the versions, so that noise from the rest of the machine lands on both alike.
 *
 * Time is the CPU time of the measuring thread (from /proc/thread-self/schedstat, in ns), not the
 * wall clock: on a machine shared with other work, the wall clock also counts the time the thread
 * waited for a core, which says nothing about the parser and can triple a number.
 *
 *   --messages N   messages per measurement (default 1000000)
 *   --rounds N     measurements per version and shape; the median is reported (default 5)
 *   --against REV  also measure the sources as they are at git revision REV, and print the ratio
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fail, integerFlag, markdownTable, median, tempDir } from "./bench-kit.ts";

const ROOT = join(import.meta.dir, "..", "..");

const { values: flags } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "5" },
    against: { type: "string" },
  },
  strict: true,
});
const messages = integerFlag("messages", flags.messages, 1);
const rounds = integerFlag("rounds", flags.rounds, 1);

/** Parses one read; counts what it completed through `count`. Returns nonzero on a parse error. */
export type Execute = (read: Uint8Array) => number;
/** Builds a fresh parser from a version's module, counting each complete message with `onMessage`. */
export type MakeParser<M> = (module: M, onMessage: () => void) => Execute;

export interface Shape {
  name: string;
  message: string;
  perRead: number;
}

/** One shape per count of messages per read: many show the inner loops, one the cost of a call. */
export const shapes = (name: string, message: string, ...perReads: number[]): Shape[] =>
  perReads.map((perRead) => ({ name: `${name}, ${perRead} per read`, message, perRead }));

interface Version<M> {
  label: string;
  module: M;
}

/** The module at `path` (relative to the repository), as it is now and, with --against, at that revision. */
export async function versions<M>(path: string): Promise<Version<M>[]> {
  const list: Version<M>[] = [{ label: "now", module: (await import(join(ROOT, path))) as M }];
  const rev = flags.against;
  if (rev !== undefined) {
    const dir = join(tempDir, "against");
    try {
      mkdirSync(dir, { recursive: true });
      const archive = execFileSync("git", ["-C", ROOT, "archive", rev, "src"], { maxBuffer: 1 << 28 });
      execFileSync("tar", ["-x", "-C", dir], { input: archive });
    } catch {
      fail(`--against: cannot read the sources at "${rev}"`);
    }
    list.push({ label: rev, module: (await import(join(dir, path))) as M });
  }
  return list;
}

const encode = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Nanoseconds this thread has run on a CPU; the wall clock where /proc does not say. */
function threadCpuNs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]);
  } catch {
    return Bun.nanoseconds();
  }
}

/** Nanoseconds per message for one shape on a fresh parser, after warming the JIT on the same shape. */
function measure<M>(module: M, make: MakeParser<M>, shape: Shape): number {
  const read = encode(shape.message.repeat(shape.perRead));
  const reads = Math.ceil(messages / shape.perRead);
  let count = 0;
  const execute = make(module, () => count++);
  for (let r = 0; r < Math.min(reads, 20_000); r++) execute(read);
  count = 0;
  const start = threadCpuNs();
  for (let r = 0; r < reads; r++) if (execute(read) !== 0) fail(`${shape.name}: parse error`);
  const elapsedNs = threadCpuNs() - start;
  if (count !== reads * shape.perRead) fail(`${shape.name}: expected ${reads * shape.perRead} messages, got ${count}`);
  return elapsedNs / count;
}

/** Measures every shape on every version, alternating, and prints a table of medians (and ratios). */
export function run<M>(list: Version<M>[], make: MakeParser<M>, all: Shape[]): void {
  const rows: string[][] = [];
  for (const shape of all) {
    const samples = list.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      // Alternate which version goes first, so neither always runs on a warmer (or hotter) core.
      for (let k = 0; k < list.length; k++) {
        const v = (k + round) % list.length;
        samples[v]!.push(measure(list[v]!.module, make, shape));
      }
    }
    const medians = samples.map(median);
    const row = [shape.name, String(shape.message.length), ...medians.map((ns) => ns.toFixed(1))];
    if (list.length > 1) row.push((medians[0]! / medians[1]!).toFixed(3));
    rows.push(row);
  }
  const header = ["shape", "bytes", ...list.map((v) => `CPU ns/message (${v.label})`)];
  if (list.length > 1) header.push(`now / ${list[1]!.label}`);
  console.log(`${messages} messages per measurement, median of ${rounds}\n`);
  console.log(markdownTable(header, rows));
}
