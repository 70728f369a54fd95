/**
 * What recording runs over time costs. Against a spawned `minibench serve` (each on its own core
 * when `taskset` exists):
 *
 * 1. `throughput`: closed-loop runs with intervals on (`--interval 1 --hlog`) and off, side by side,
 *    alternating which goes first, `--rounds` times; the median ratios on/off of throughput and of
 *    the client's CPU time per request (the steadier of the two on a shared machine);
 * 2. `cut`: the cost of one cut, in this process: the time a thread spends ending an interval (its
 *    counts copied out of three recorders, summarised and encoded), the first cut of a process
 *    apart (before any JIT has warmed up) — the throughput it takes is at most that time over the
 *    interval's length, whatever the noise of the machine;
 * 3. `memory`: one open-loop run at `--rps` for `--memory-s` seconds with 1 s intervals, `--hlog`,
 *    `--intervals-json` and the document (`--json`, so the run keeps its intervals), the client's
 *    RSS sampled from /proc and given at 1, 5 and 10 minutes; then the `.hlog` bytes per interval,
 *    real encoded sizes, scaled to an hour;
 * 4. `hour`: a synthetic hour of 1 s intervals written through the real `.hlog` writer, at 5,000 and
 *    50,000 outcomes a second, its size on disk; latencies either spread evenly over a wide range
 *    (log-uniform 0.1–50 ms: the worst case for the encoding, many distinct buckets each time) or
 *    as a loopback run has them (log-normal around 0.5 ms, a tail to a few ms).
 *
 *   bun scripts/bench-intervals.ts                                  # ~3 minutes
 *   bun scripts/bench-intervals.ts --parts memory --memory-s 600    # the 10-minute memory check
 *
 * Traffic goes to 127.0.0.1 only; every run is bounded by its duration.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TimeOutputs } from "../src/report/time-outputs.ts";
import { startServeChild } from "../src/server/child.ts";
import { IntervalCutter } from "../src/stats/intervals.ts";
import { Tally } from "../src/stats/tally.ts";
import { integerFlag, listFlag, tempDir } from "./lib/bench-kit.ts";

const PARTS = ["throughput", "cut", "memory", "hour"] as const;
const { values } = parseArgs({
  options: {
    parts: { type: "string", default: PARTS.join(",") },
    rounds: { type: "string", default: "5" },
    "closed-s": { type: "string", default: "5" },
    concurrency: { type: "string", default: "50" },
    rps: { type: "string", default: "5000" },
    "memory-s": { type: "string", default: "60" },
  },
});
const parts = listFlag("parts", values.parts!, PARTS);
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

/** Latencies in µs: log-uniform over 0.1–50 ms, or log-normal around 0.5 ms (σ 0.6: 90% within 0.19–1.3 ms). */
const SPREADS = {
  wide: () => 100 * 500 ** Math.random(),
  loopback: () => 500 * Math.exp(0.6 * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())),
};
type Spread = keyof typeof SPREADS;

/** An open loop's tally with `perInterval` outcomes recorded into it (and as many lags). */
function fill(tally: Tally, k: number, perInterval: number, spread: Spread = "wide"): void {
  const draw = SPREADS[spread];
  for (let i = 0; i < perInterval; i++) {
    const latencyUs = draw();
    tally.onResponse(200, 1e6 * k, 1e6 * k + latencyUs / 3, 1e6 * k + latencyUs);
    tally.lag.record(Math.random() * 200);
  }
}

/** Milliseconds per cut of an open loop's interval holding `perInterval` outcomes: the first cut, and the median of warm ones. */
function cutMs(perInterval: number): { firstMs: number; warmMs: number } {
  const tally = new Tally(0, 1e15);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  const times: number[] = [];
  for (let k = 0; k < 40; k++) {
    fill(tally, k, perInterval);
    const started = performance.now();
    cutter.cut(1e6 * (k + 1));
    times.push(performance.now() - started);
  }
  return { firstMs: times[0]!, warmMs: median(times.slice(10)) };
}

/** The bytes an hour of 1 s intervals at `perSecond` outcomes takes in a `.hlog`, written by the real writer. */
function hourOfHlog(perSecond: number, spread: Spread): number {
  const path = join(tempDir, `hour-${perSecond}-${spread}.hlog`);
  const outputs = new TimeOutputs({ hlogPath: path, intervalsJsonPath: null });
  const tally = new Tally(0, 1e15);
  const cutter = new IntervalCutter(tally);
  cutter.start(0);
  const point = { phase: "open" as const, concurrency: 100, targetRps: perSecond, repeat: 1 };
  for (let k = 0; k < 3600; k++) {
    fill(tally, k, perSecond, spread);
    outputs.add(cutter.cut(1e6 * (k + 1)), point, Date.UTC(2026, 0, 1));
  }
  outputs.close();
  return statSync(path).size;
}

async function throughput(url: string): Promise<void> {
  const closed = (interval: boolean, round: number) => [
    "closed", url, "-d", String(closedS), "-c", values.concurrency!, "--repeat", "1", "--warmup", "2000",
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
}

function cuts(): void {
  for (const perInterval of [1000, 20_000, 200_000]) {
    const { firstMs, warmMs } = cutMs(perInterval);
    console.log(
      `one cut of an open loop's interval with ${perInterval} outcomes (latency, service, lag): first ${firstMs.toFixed(2)} ms, then ${warmMs.toFixed(3)} ms ` +
        `→ at most ${((warmMs / 1000) * 100).toFixed(3)}% of a thread at 1 s intervals`,
    );
  }
  console.log("");
}

/** RSS at or just after each mark, from samples taken every few seconds. */
const MARKS_S = [60, 300, 600];

async function memory(url: string): Promise<void> {
  const hlog = join(tempDir, "memory.hlog");
  const samples: { atS: number; rssMb: number }[] = [];
  let sampler: ReturnType<typeof setInterval> | undefined;
  const startedMs = performance.now();
  const open = [
    "open", url, "--rps", values.rps!, "-d", String(memoryS), "-c", "100", "--warmup-sec", "1", "--repeat", "1",
    "--interval", "1", "--hlog", hlog, "--intervals-json", join(tempDir, "memory.ndjson"),
  ];
  const document = await bench(open, (pid) => {
    sampler = setInterval(() => {
      try {
        samples.push({ atS: (performance.now() - startedMs) / 1000, rssMb: rssMb(pid) });
      } catch {
        // The client has just exited.
      }
    }, 5000);
  });
  clearInterval(sampler);
  console.log(`open loop ${values.rps} req/s for ${memoryS} s, 1 s intervals, --hlog, --intervals-json and --json:\n`);
  const shown = [samples[0], ...MARKS_S.map((markS) => samples.find((sample) => sample.atS >= markS)), samples.at(-1)];
  console.log("| t (s) | client RSS (MB) |\n|---:|---:|");
  for (const sample of new Set(shown.filter((s) => s !== undefined))) console.log(`| ${sample!.atS.toFixed(0)} | ${sample!.rssMb.toFixed(1)} |`);
  const fromMinute = samples.filter((sample) => sample.atS >= 60);
  if (fromMinute.length > 1) {
    const rss = fromMinute.map((sample) => sample.rssMb);
    console.log(`\nfrom 1 min to the end: ${rss[0]!.toFixed(1)} → ${rss.at(-1)!.toFixed(1)} MB (min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)})`);
  }
  const text = readFileSync(hlog, "utf8");
  const intervalLines = text.split("\n").filter((line) => line.startsWith("Tag="));
  const intervals = document.runs[0]!.intervals!.length;
  const bytesPerInterval = intervalLines.reduce((sum, line) => sum + line.length + 1, 0) / intervals;
  console.log(
    `\n.hlog: ${statSync(hlog).size} bytes for ${intervals} intervals (${intervalLines.length} lines: latency, service, lag), ` +
      `${bytesPerInterval.toFixed(0)} bytes per interval → ${((bytesPerInterval * 3600) / 1e6).toFixed(1)} MB per hour of 1 s intervals\n`,
  );
}

function hour(): void {
  console.log("a synthetic hour of 1 s intervals through the .hlog writer (latency, service, lag):\n\n| outcomes/s | latencies | .hlog (MB) |\n|---:|---|---:|");
  for (const spread of ["loopback", "wide"] as const) {
    for (const perSecond of [5000, 50_000]) console.log(`| ${perSecond} | ${spread} | ${(hourOfHlog(perSecond, spread) / 1e6).toFixed(1)} |`);
  }
  console.log("");
}

if (parts.includes("cut")) cuts();
if (parts.includes("hour")) hour();
if (parts.includes("throughput") || parts.includes("memory")) {
  const server = await startServeChild([], pinned(0, [process.execPath, cli]));
  try {
    if (parts.includes("throughput")) await throughput(server.url);
    if (parts.includes("memory")) await memory(server.url);
  } finally {
    await server.stop();
  }
}
