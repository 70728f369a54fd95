/**
 * What recording runs over time costs. Against a spawned `minibench serve` (each on its own core
 * when `taskset` exists):
 *
 * 1. throughput and CPU: closed-loop runs with intervals on (`--interval 1 --hlog`) and off, side by
 *    side, alternating which goes first, `--rounds` times; the median ratios on/off of throughput and
 *    of the client's CPU time per request (the steadier of the two on a shared machine);
 * 2. the cost of one cut, in this process: the time a thread spends ending an interval (moving the
 *    counts out of three recorders and encoding three histograms) — the throughput it takes is at
 *    most that time over the interval's length, whatever the noise of the machine;
 * 3. memory and log size: one open-loop run at `--rps` for `--memory-s` seconds with 1 s intervals,
 *    `--hlog` and `--intervals-json`, the client's RSS sampled from /proc; then the `.hlog` bytes per
 *    interval, real encoded sizes, scaled to an hour.
 *
 *   bun scripts/bench-intervals.ts                             # ~3 minutes
 *   bun scripts/bench-intervals.ts --memory-s 600 --rps 5000   # the 10-minute memory check
 *
 * Traffic goes to 127.0.0.1 only; every run is bounded by its duration.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServeChild } from "../src/server/child.ts";
import { IntervalCutter } from "../src/stats/intervals.ts";
import { Tally } from "../src/stats/tally.ts";
import { integerFlag, tempDir } from "./lib/bench-kit.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "closed-s": { type: "string", default: "5" },
    concurrency: { type: "string", default: "50" },
    rps: { type: "string", default: "5000" },
    "memory-s": { type: "string", default: "60" },
  },
});
const rounds = integerFlag("rounds", values.rounds!, 1);
const closedS = integerFlag("closed-s", values["closed-s"]!, 1);
const memoryS = integerFlag("memory-s", values["memory-s"]!, 5);

const cli = join(import.meta.dir, "../src/cli.ts");
const hasTaskset = Bun.spawnSync(["which", "taskset"]).exitCode === 0;
const pinned = (core: number, command: string[]) => (hasTaskset ? ["taskset", "-c", String(core), ...command] : command);

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

interface Measured {
  runs: { throughputRps: number; requests: number; intervals?: unknown[] }[];
  /** The client process's CPU time (user + system), start-up included. */
  cpuUs: number;
}

async function bench(args: string[], onStart?: (pid: number) => void): Promise<Measured> {
  const client = Bun.spawn(pinned(1, [process.execPath, cli, "bench", ...args, "--json", "--quiet"]), { stdout: "pipe", stderr: "inherit" });
  onStart?.(client.pid);
  const output = await new Response(client.stdout).text();
  if ((await client.exited) !== 0) throw new Error(`bench ${args.join(" ")} exited with ${client.exitCode}`);
  const usage = client.resourceUsage();
  return { ...JSON.parse(output), cpuUs: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) : Number.NaN };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Milliseconds per cut of an open loop's interval holding `perInterval` outcomes spread over 0.1–50 ms. */
function cutMs(perInterval: number): number {
  const tally = new Tally(0, 1e15);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  const times: number[] = [];
  for (let k = 0; k < 40; k++) {
    for (let i = 0; i < perInterval; i++) {
      const latencyUs = 100 * 500 ** Math.random();
      tally.onResponse(200, 1e6 * k, 1e6 * k + latencyUs / 3, 1e6 * k + latencyUs);
      tally.lag.record(Math.random() * 200);
    }
    const started = performance.now();
    cutter.cut(1e6 * (k + 1));
    times.push(performance.now() - started);
  }
  return median(times.slice(10));
}

const server = await startServeChild([], pinned(0, [process.execPath, cli]));
try {
  // 1. Throughput, on and off side by side.
  const closed = (interval: boolean, round: number) => [
    "closed", server.url, "-d", String(closedS), "-c", values.concurrency!, "--repeat", "1", "--warmup", "2000",
    ...(interval ? ["--interval", "1", "--hlog", join(tempDir, `round-${round}.hlog`)] : []),
  ];
  const rateRatios: number[] = [];
  const cpuRatios: number[] = [];
  console.log(`| round | off (req/s) | on (req/s) | on/off | off CPU µs/req | on CPU µs/req | on/off |\n|---:|---:|---:|---:|---:|---:|---:|`);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? [false, true] : [true, false];
    const measured = new Map<boolean, { rate: number; cpuUsPerRequest: number }>();
    for (const interval of order) {
      const { runs, cpuUs } = await bench(closed(interval, round));
      measured.set(interval, { rate: runs[0]!.throughputRps, cpuUsPerRequest: cpuUs / runs[0]!.requests });
    }
    const [off, on] = [measured.get(false)!, measured.get(true)!];
    rateRatios.push(on.rate / off.rate);
    cpuRatios.push(on.cpuUsPerRequest / off.cpuUsPerRequest);
    const cells = [off.rate.toFixed(0), on.rate.toFixed(0), (on.rate / off.rate).toFixed(3), off.cpuUsPerRequest.toFixed(2), on.cpuUsPerRequest.toFixed(2)];
    console.log(`| ${round} | ${cells.join(" | ")} | ${(on.cpuUsPerRequest / off.cpuUsPerRequest).toFixed(3)} |`);
  }
  console.log(
    `\nmedian on/off over ${rounds} rounds (closed loop, -c ${values.concurrency}, ${closedS} s each): ` +
      `throughput ${median(rateRatios).toFixed(3)}, client CPU per request ${median(cpuRatios).toFixed(3)}\n`,
  );

  for (const perInterval of [1000, 20_000, 200_000]) {
    const ms = cutMs(perInterval);
    console.log(`one cut of an interval with ${perInterval} outcomes: ${ms.toFixed(3)} ms → at most ${((ms / 1000) * 100).toFixed(3)}% of a thread at 1 s intervals`);
  }
  console.log("");

  // 3. Memory over a long open run with every time output on, and the log's size.
  const hlog = join(tempDir, "memory.hlog");
  const samples: { atS: number; rssMb: number }[] = [];
  let sampler: ReturnType<typeof setInterval> | undefined;
  const startedMs = performance.now();
  const open = [
    "open", server.url, "--rps", values.rps!, "-d", String(memoryS), "-c", "100", "--warmup-sec", "1", "--repeat", "1",
    "--interval", "1", "--hlog", hlog, "--intervals-json", join(tempDir, "memory.ndjson"),
  ];
  const document = await bench(open, (pid) => {
    sampler = setInterval(() => {
      try {
        samples.push({ atS: (performance.now() - startedMs) / 1000, rssMb: rssMb(pid) });
      } catch {
        // The client has just exited.
      }
    }, Math.max(1000, (memoryS * 1000) / 20));
  });
  clearInterval(sampler);
  console.log(`open loop ${values.rps} req/s for ${memoryS} s, 1 s intervals, --hlog and --intervals-json:\n`);
  console.log("| t (s) | client RSS (MB) |\n|---:|---:|");
  for (const sample of samples) console.log(`| ${sample.atS.toFixed(0)} | ${sample.rssMb.toFixed(1)} |`);
  const text = readFileSync(hlog, "utf8");
  const intervalLines = text.split("\n").filter((line) => line.startsWith("Tag="));
  const intervals = document.runs[0]!.intervals!.length;
  const bytesPerInterval = intervalLines.reduce((sum, line) => sum + line.length + 1, 0) / intervals;
  console.log(
    `\n.hlog: ${statSync(hlog).size} bytes for ${intervals} intervals (${intervalLines.length} lines: latency, service, lag), ` +
      `${bytesPerInterval.toFixed(0)} bytes per interval → ${((bytesPerInterval * 3600) / 1e6).toFixed(1)} MB per hour of 1 s intervals`,
  );
} finally {
  await server.stop();
}
