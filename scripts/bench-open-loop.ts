/**
 * How honest and how cheap the open loop is: runs `minibench bench open` against a spawned
 * `minibench serve` (each on its own core when `taskset` exists) and reports the achieved rate
 * against the target, the scheduler lag, the client's CPU per second, and its memory over time
 * (sampled from /proc every few seconds — a flat line means nothing is stored per request).
 *
 *   bun scripts/bench-open-loop.ts --rps 20000 --duration 10     # accuracy and CPU
 *   bun scripts/bench-open-loop.ts --rps 5000 --duration 600     # memory stays flat over 10 minutes
 *
 * Traffic goes to 127.0.0.1 only, and the run is bounded by --duration.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { startServeChild } from "../src/server/child.ts";

const { values } = parseArgs({
  options: {
    rps: { type: "string", default: "20000" },
    duration: { type: "string", default: "10" },
    concurrency: { type: "string", default: "100" },
    sample: { type: "string", default: "5" },
  },
});
const cli = join(import.meta.dir, "../src/cli.ts");
const hasTaskset = Bun.spawnSync(["which", "taskset"]).exitCode === 0;
const pinned = (core: number, command: string[]) => (hasTaskset ? ["taskset", "-c", String(core), ...command] : command);
const ticksPerSecond = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime + stime, all threads
}
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

const server = await startServeChild([], pinned(0, [process.execPath, cli]));
const url = server.url;

const args = ["bench", "open", url, "--rps", values.rps!, "-d", values.duration!, "-c", values.concurrency!, "--warmup-sec", "1", "--repeat", "1", "--json", "--quiet"];
const client = Bun.spawn(pinned(1, [process.execPath, cli, ...args]), { stdout: "pipe", stderr: "inherit" });
const samples: { atS: number; rssMb: number; cpuS: number }[] = [];
const startedMs = performance.now();
const sampler = setInterval(() => {
  try {
    samples.push({ atS: (performance.now() - startedMs) / 1000, rssMb: rssMb(client.pid), cpuS: cpuSeconds(client.pid) });
  } catch {
    // The client has just exited.
  }
}, Number(values.sample) * 1000);
const output = await new Response(client.stdout).text();
clearInterval(sampler);
await server.stop();
if ((await client.exited) !== 0) throw new Error(`bench open exited with ${client.exitCode}`);

const run = JSON.parse(output).runs[0];
const first = samples[0];
const last = samples.at(-1);
const cpuCores = first && last && last.atS > first.atS ? (last.cpuS - first.cpuS) / (last.atS - first.atS) : Number.NaN;
console.log(`target ${run.targetRps} req/s, achieved ${run.achievedRps.toFixed(1)} (${((run.achievedRps / run.targetRps - 1) * 100).toFixed(2)}%), dropped ${run.dropped}, errors ${run.requests - run.ok}`);
console.log(`scheduler lag p50 ${run.schedulerLagMs.p50.toFixed(3)} ms, p99 ${run.schedulerLagMs.p99.toFixed(3)} ms, max ${run.schedulerLagMs.max.toFixed(3)} ms`);
console.log(`latency p50 ${run.latencyMs.p50} ms p99 ${run.latencyMs.p99} ms; service time p50 ${run.serviceTimeMs.p50} ms p99 ${run.serviceTimeMs.p99} ms`);
console.log(`client CPU ${(cpuCores * 100).toFixed(0)}% of a core (steady state, all threads)`);
console.log("\n| t (s) | client RSS (MB) |\n|---:|---:|");
for (const sample of samples) console.log(`| ${sample.atS.toFixed(0)} | ${sample.rssMb.toFixed(1)} |`);
