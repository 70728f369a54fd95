/**
 * What a workload script costs per request, beside the request pool it feeds.
 *
 *   bun scripts/bench-script.ts [requests=1000000] [runs=5] [seconds=3]
 *
 * 1. Per request, in ns, medians of `runs` rounds (each round runs every case once, in turn):
 * - the pool's own choice (roundrobin over 10,000 targets): the baseline;
 * - the same 10,000 targets from a script's `targets()`: the pool is identical, so the choice is;
 * - `pick(i)` from the script instead (one JavaScript call per request);
 * - `check(response)` reading the status only, and reading the body (decoded per response),
 *   each with the response's two fields and 2-byte body collected for it as the engine does.
 *
 * 2. End to end, `bench closed -c 50` against `minibench serve` (a child, on the same machine)
 *    for `seconds` a run, the cases in turn, `runs` rounds, median req/s: the 10,000 targets from
 *    a targets file, from a script's targets(), from a script that also picks with pick(i), and
 *    from scripts that also check every response with check(response), by status or by body.
 */
import { spawn } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makePicker } from "../src/workload/order.ts";
import { PoolBuilder, type RequestPool } from "../src/workload/pool.ts";
import { Random } from "../src/workload/random.ts";
import { WorkloadScript, type ScriptCheck } from "../src/workload/script.ts";
import { NO_DEFAULTS } from "../src/workload/target-spec.ts";
import { readTargets } from "../src/workload/targets.ts";
import { integerFlag, median, tempDir } from "./lib/bench-kit.ts";

const TARGETS = 10_000;
const ORIGIN = "http://127.0.0.1:8080";

const SCRIPT = `
export function targets() {
  return Array.from({ length: ${TARGETS} }, (_, i) => ({ url: "${ORIGIN}/items/" + i, headers: { "X-Tenant": "t" + (i % 97) } }));
}
export function pick(i) { return i % ${TARGETS}; }
export function check(response) { return response.status === 200 || "status"; }
`;
const STATUS_CHECK = `export function check(response) { return response.status === 200 || "status"; }\n`;
const BODY_CHECK = `export function check(response) { return response.body.includes("ok") || "body"; }\n`;

async function main(requests: number, runs: number): Promise<void> {
  const file = join(tempDir, "workload.js");
  writeFileSync(file, SCRIPT);
  const bodyFile = join(tempDir, "body-check.js");
  writeFileSync(bodyFile, `export function targets() { return [{ url: "${ORIGIN}/" }]; }\n${BODY_CHECK}`);
  const script = await WorkloadScript.load(file);
  const bodyScript = await WorkloadScript.load(bodyFile);

  const fromFile = poolOfFile();
  const builder = new PoolBuilder(true);
  await script.targets(NO_DEFAULTS, (spec) => builder.add(spec));
  const fromScript = builder.build();
  if (Buffer.compare(fromFile.bytes, fromScript.bytes) !== 0) throw new Error("the script's pool differs from the file's");

  const statusCheck = script.check()!;
  const bodyCheck = bodyScript.check()!;

  const cases: { name: string; run: () => number }[] = [
    { name: "pool: targets file, roundrobin", run: () => timed(requests, poolPicks(fromFile)) },
    { name: "pool: script targets(), roundrobin", run: () => timed(requests, poolPicks(fromScript)) },
    { name: "script pick(i)", run: () => timed(requests, scriptPicks(fromScript, script)) },
    { name: "pool + check(): status", run: () => timed(requests, checked(fromScript, statusCheck)) },
    { name: "pool + check(): body text", run: () => timed(requests, checked(fromScript, bodyCheck)) },
  ];
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) cases.forEach((c, i) => samples[i]!.push(c.run()));
  const base = median(samples[0]!);
  console.log(`${TARGETS.toLocaleString("en-US")} targets, ${requests.toLocaleString("en-US")} requests per run, ns per request, median of ${runs}`);
  cases.forEach((c, i) => {
    const ns = median(samples[i]!);
    console.log(`  ${c.name.padEnd(38)} ${ns.toFixed(1).padStart(8)} ns   ${(ns - base).toFixed(1).padStart(8)} ns over the pool`);
  });
}

function poolOfFile(): RequestPool {
  const text = Array.from({ length: TARGETS }, (_, i) => `GET ${ORIGIN}/items/${i}\nX-Tenant: t${i % 97}\n`).join("\n");
  const builder = new PoolBuilder(true);
  readTargets({ file: "bench", text }, "http", NO_DEFAULTS, (spec) => builder.add(spec));
  return builder.build();
}

/** One step per request, returning the bytes it would send (summed, so none is optimised away). */
type Step = () => number;

function timed(requests: number, step: Step): number {
  let sum = 0;
  const start = Bun.nanoseconds();
  for (let n = 0; n < requests; n++) sum += step();
  const ns = (Bun.nanoseconds() - start) / requests;
  if (sum === 0) throw new Error("nothing sent");
  return ns;
}

function poolPicks(pool: RequestPool): Step {
  const picker = makePicker(pool.weights, "roundrobin", new Random(1));
  return () => {
    const i = picker.next();
    return pool.offsets[i + 1]! - pool.offsets[i]!;
  };
}

function scriptPicks(pool: RequestPool, script: WorkloadScript): Step {
  const picker = script.picker(pool.count);
  return () => {
    const i = picker.next();
    return pool.offsets[i + 1]! - pool.offsets[i]!;
  };
}

/** The response a check sees: what the parser shows the engine's collector, as it shows it. */
const RESPONSE = new Uint8Array(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok", "latin1"));

function checked(pool: RequestPool, check: ScriptCheck): Step {
  const pick = poolPicks(pool);
  const collector = check.collector();
  return () => {
    collector.startHead();
    // Called one by one as the parser does: a loop destructuring a list of them would cost ~10 times what is measured.
    collector.field(RESPONSE, 17, 31, 33, 34);
    collector.field(RESPONSE, 36, 48, 50, 60);
    collector.content(RESPONSE, 64, 66);
    return check.run(200, collector) === null ? pick() : 0;
  };
}

const CLI = join(import.meta.dir, "../src/cli.ts");

async function endToEnd(runs: number, seconds: number): Promise<void> {
  const server = spawn([process.execPath, CLI, "serve", "--port", "0", "--quiet"], { stdout: "pipe", stderr: "inherit" });
  try {
    const line = new TextDecoder().decode((await server.stdout.getReader().read()).value);
    const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
    const targetsFile = join(tempDir, "targets.txt");
    writeFileSync(targetsFile, Array.from({ length: TARGETS }, (_, i) => `GET ${origin}/items/${i}\nX-Tenant: t${i % 97}\n`).join("\n"));
    let scripts = 0;
    const script = (more: string) => {
      const path = join(tempDir, `e2e-${++scripts}.js`);
      writeFileSync(path, `export function targets() {\n  return Array.from({ length: ${TARGETS} }, (_, i) => ({ url: "${origin}/items/" + i, headers: { "X-Tenant": "t" + (i % 97) } }));\n}\n${more}`);
      return path;
    };
    const cases = [
      { name: "--targets FILE", args: ["--targets", targetsFile] },
      { name: "--script, targets()", args: ["--script", script("")] },
      { name: "--script, targets() + pick(i)", args: ["--script", script(`export function pick(i) { return i % ${TARGETS}; }\n`)] },
      { name: "--script, + check(): status", args: ["--script", script(STATUS_CHECK)] },
      { name: "--script, + check(): body", args: ["--script", script(BODY_CHECK)] },
    ];
    const samples = cases.map(() => [] as number[]);
    for (let round = 0; round < runs; round++) {
      for (const [i, c] of cases.entries()) {
        const run = Bun.spawnSync([process.execPath, CLI, "bench", "closed", ...c.args, "-c", "50", "-d", `${seconds}s`, "--warmup", "1000", "--repeat", "1", "--json", "--quiet"]);
        if (run.exitCode !== 0) throw new Error(`${c.name}: ${run.stderr.toString()}`);
        samples[i]!.push(JSON.parse(run.stdout.toString()).runs[0].throughputRps);
      }
    }
    const base = median(samples[0]!);
    console.log(`\nbench closed -c 50 -d ${seconds}s against minibench serve, ${TARGETS.toLocaleString("en-US")} targets, median req/s of ${runs}`);
    cases.forEach((c, i) => console.log(`  ${c.name.padEnd(32)} ${Math.round(median(samples[i]!)).toLocaleString("en-US").padStart(9)} req/s   ${(median(samples[i]!) / base).toFixed(3)}×`));
  } finally {
    server.kill();
  }
}

const runs = integerFlag("runs", process.argv[3] ?? "5", 1);
await main(integerFlag("requests", process.argv[2] ?? "1000000", 1000), runs);
await endToEnd(runs, integerFlag("seconds", process.argv[4] ?? "3", 1));
