/**
 * Micro-benchmarks of the workload pool, and of loading a big URL list.
 *
 *   bun scripts/bench-workload.ts [picks=2000000] [runs=5]
 *
 * 1. Choosing and preparing the next request (pick + patch), in ns per request, side by side with
 *    the single fixed request of today's engine (reading one offset pair): 10,000 distinct
 *    targets in each order, weighted, and with `{{seq}}`/`{{uuid}}` patched in URL and body.
 *    Medians of `runs` rounds, each round running every case once in turn.
 * 2. Loading a 1,000,000-line URL file into a pool in a fresh process (so its peak RSS is the
 *    loader's own): wall time, CPU time (the process start included) and peak RSS (VmHWM),
 *    median of three.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makePicker, type Order } from "../src/workload/order.ts";
import { Patcher, PoolBuilder, type RequestPool } from "../src/workload/pool.ts";
import { Random } from "../src/workload/random.ts";
import { loadTargetsSource, readTargets } from "../src/workload/targets.ts";
import { NO_DEFAULTS } from "../src/workload/target-spec.ts";
import { tempDir } from "./lib/bench-kit.ts";

const LOAD_FLAG = "--load";

function poolOf(text: string): RequestPool {
  const builder = new PoolBuilder(true);
  readTargets({ file: "bench", text }, null, NO_DEFAULTS, (spec) => builder.add(spec));
  return builder.build();
}

function pickAndPatch(picks: number, runs: number): void {
  const distinct = Array.from({ length: 10_000 }, (_, i) => `GET http://127.0.0.1:8080/items/${i}\nX-Tenant: t${i % 97}\n`).join("\n");
  const weighted = Array.from({ length: 10_000 }, (_, i) => `# @weight ${1 + (i % 10)}\nGET http://127.0.0.1:8080/items/${i}\n`).join("\n");
  const body = Buffer.from('{"id":"{{seq}}","note":"hello"}').toString("base64");
  const seq = Array.from({ length: 10_000 }, (_, i) => `{"method":"POST","url":"http://127.0.0.1:8080/items/${i}/{{seq}}","body":"${body}"}`).join("\n");
  const uuid = Array.from({ length: 10_000 }, (_, i) => `GET http://127.0.0.1:8080/items/${i}?trace={{uuid}}\n`).join("\n");
  const single = poolOf("GET http://127.0.0.1:8080/\n");

  const cases: { name: string; run: () => number }[] = [
    { name: "single request (baseline)", run: () => fixed(single, picks) },
    { name: "10,000 targets, roundrobin", run: () => picked(poolOf(distinct), "roundrobin", picks, false) },
    { name: "10,000 targets, random", run: () => picked(poolOf(distinct), "random", picks, false) },
    { name: "10,000 weighted, roundrobin cycle", run: () => picked(poolOf(weighted), "roundrobin", picks, false) },
    { name: "10,000 weighted, random (alias)", run: () => picked(poolOf(weighted), "random", picks, false) },
    { name: "10,000 + {{seq}} in URL and body", run: () => picked(poolOf(seq), "roundrobin", picks, true) },
    { name: "10,000 + {{uuid}} in the query", run: () => picked(poolOf(uuid), "roundrobin", picks, true) },
  ];
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) cases.forEach((c, i) => samples[i]!.push(c.run()));
  const base = median(samples[0]!);
  console.log(`pick + patch, ${picks.toLocaleString("en-US")} requests per run, median of ${runs}`);
  cases.forEach((c, i) => {
    const ns = median(samples[i]!);
    console.log(`  ${c.name.padEnd(36)} ${ns.toFixed(1).padStart(7)} ns/request   ${(ns - base).toFixed(1).padStart(6)} ns over baseline`);
  });
}

/** Today's engine: one request, its offsets read per send. */
function fixed(pool: RequestPool, picks: number): number {
  let sum = 0;
  const start = Bun.nanoseconds();
  for (let n = 0; n < picks; n++) sum += pool.offsets[1]! - pool.offsets[0]!;
  const ns = (Bun.nanoseconds() - start) / picks;
  if (sum !== picks * pool.bytes.length) throw new Error("lost bytes");
  return ns;
}

function picked(pool: RequestPool, order: Order, picks: number, patch: boolean): number {
  const random = new Random(1);
  const picker = makePicker(pool.weights, order, random);
  const patcher = new Patcher(pool, random);
  let sum = 0;
  const start = Bun.nanoseconds();
  for (let n = 0; n < picks; n++) {
    const i = picker.next();
    if (patch) patcher.patch(i);
    sum += pool.offsets[i + 1]! - pool.offsets[i]!;
  }
  const ns = (Bun.nanoseconds() - start) / picks;
  if (sum === 0) throw new Error("nothing picked");
  return ns;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function loader(): Promise<void> {
  const file = join(tempDir, "urls.txt");
  const lines = Array.from({ length: 1_000_000 }, (_, i) => `http://127.0.0.1:8080/items/${i}?page=${i % 100}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const results: { ms: number; cpuMs: number; rssMb: number; count: number }[] = [];
  for (let run = 0; run < 3; run++) {
    const child = Bun.spawnSync(["bun", import.meta.path, LOAD_FLAG, file], { stderr: "inherit" });
    results.push(JSON.parse(child.stdout.toString()));
  }
  const ms = median(results.map((r) => r.ms));
  const rssMb = median(results.map((r) => r.rssMb));
  const cpuMs = median(results.map((r) => r.cpuMs));
  console.log(`load a 1,000,000-line URL file into a pool (fresh process, median of 3; limits 2,000 ms and 200 MB)`);
  // On a shared machine the wall time counts other processes' turns too; the CPU time does not.
  console.log(`  ${results[0]!.count.toLocaleString("en-US")} targets   ${ms.toFixed(0)} ms wall   ${cpuMs.toFixed(0)} ms CPU   peak RSS ${rssMb.toFixed(0)} MB`);
}

/** The child: load, build, report wall time and the process's peak resident memory. */
async function loadOnly(file: string): Promise<void> {
  const start = performance.now();
  const source = loadTargetsSource(file);
  const builder = new PoolBuilder(true, undefined, Bun.file(file).size);
  readTargets(source, null, NO_DEFAULTS, (spec) => builder.add(spec));
  const pool = builder.build();
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage();
  const cpuMs = (user + system) / 1000;
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);
  console.log(JSON.stringify({ ms, cpuMs, rssMb: peakKb / 1024, count: pool.count }));
}

if (process.argv[2] === LOAD_FLAG) {
  loadOnly(process.argv[3]!);
} else {
  const picks = Number(process.argv[2] ?? 2_000_000);
  const runs = Number(process.argv[3] ?? 5);
  pickAndPatch(picks, runs);
  await loader();
}
