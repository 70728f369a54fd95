/**
 * What a workload costs the client: `minibench bench closed` against nginx, side by side in one
 * run, a single URL beside each workload variant.
 *
 *   bun scripts/bench-targets.ts [--runs 5] [--duration-s 5] [--connections 50] [--max-noise-pct 5] [--retries 3]
 *
 * Variants (each compared with the run it is measured against, in the same round):
 * - `targets-10k`: 10,000 distinct targets (a path and a header value each), roundrobin, against
 *   `single` (one URL). Goals: req/s ≥ 0.97×, client CPU per request ≤ 1.03×.
 * - `seq`: one target with `{{seq}}` in its URL and its body (a POST), against `single`: ≥ 0.95×.
 * - `checks`: the single URL with `--expect-status 200 --expect-body ok` (nginx answers "ok", 2
 *   bytes), against `single`: ≥ 0.9×.
 *
 * nginx (one worker, `return 200 "ok"`) runs on core 0, the client on core 1. Runs go round-robin
 * over the variants, in a rotating order; each ratio is the median over rounds of the ratio within
 * a round (the host's speed drifts over minutes, runs of one round are seconds apart). Client CPU
 * per request is utime + stime from /proc between 1 s after start and the end of the load, over
 * the requests its rate says it completed then (start-up left out: it is the same for all).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CLIENT_CORE, HOST, SERVER_CORE, cpuSnapshot, cpuUsOf, ensureApt, ensureOnPath, fail, finish, integerFlag, machineLine, markdownTable, median,
  noisePct, quietRun, spawnPinned, startNginx, stderrOf, tempDir, thousands, type Server,
} from "./lib/bench-kit.ts";

const ROOT = join(import.meta.dir, "..");

const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "duration-s": { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    "max-noise-pct": { type: "string", default: "5" },
    retries: { type: "string", default: "3" },
  },
  strict: true,
});
const runs = integerFlag("runs", flags.runs, 1);
const durationS = integerFlag("duration-s", flags["duration-s"], 2);
const connections = integerFlag("connections", flags.connections, 1);
const maxNoisePct = integerFlag("max-noise-pct", flags["max-noise-pct"], 0);
const retries = integerFlag("retries", flags.retries, 0);

const VARIANTS = ["single", "targets-10k", "seq", "checks"] as const;
type Variant = (typeof VARIANTS)[number];

/** Each variant's goal against `single`: the least req/s ratio, and the most CPU per request ratio. */
const GOALS: Record<Exclude<Variant, "single">, { rate: number; cpu: number | null }> = {
  "targets-10k": { rate: 0.97, cpu: 1.03 },
  seq: { rate: 0.95, cpu: null },
  checks: { rate: 0.9, cpu: null },
};

function variantArgs(variant: Variant, url: string): string[] {
  switch (variant) {
    case "single":
      return [url];
    case "targets-10k": {
      const path = join(tempDir, "targets-10k.http");
      const lines = Array.from({ length: 10_000 }, (_, i) => `GET ${url}items/${i}\nX-Item: ${i}\n`);
      writeFileSync(path, lines.join("\n"));
      return ["--targets", path];
    }
    case "seq": {
      const body = join(tempDir, "seq-body.json");
      writeFileSync(body, '{"id":{{seq}}}');
      const path = join(tempDir, "seq.http");
      writeFileSync(path, `POST ${url}items/{{seq}}\nContent-Type: application/json\n@${body}\n`);
      return ["--targets", path];
    }
    case "checks":
      return [url, "--expect-status", "200", "--expect-body", "ok"];
  }
}

interface Sample {
  rateRps: number;
  steadyCpuUsPerRequest: number;
  noisePct: number;
  errors: number;
}

const POLL_MS = 10;

async function measure(server: Server, variant: Variant): Promise<Sample> {
  const command = [
    process.execPath, join(ROOT, "src/cli.ts"), "bench", "closed", ...variantArgs(variant, server.url),
    "-c", String(connections), "-d", `${durationS}s`, "--repeat", "1", "--warmup", "1000", "--json", "--quiet",
  ];
  const before = cpuSnapshot(server.pid);
  const startedMs = performance.now();
  const child = spawnPinned(CLIENT_CORE, command, variant);
  const readings: { ms: number; us: number }[] = [];
  const poll = setInterval(() => {
    const us = cpuUsOf(child.pid);
    if (us !== null) readings.push({ ms: performance.now() - startedMs, us });
  }, POLL_MS);
  const { text, code } = await finish(child, durationS);
  clearInterval(poll);
  const after = cpuSnapshot(server.pid);
  let run;
  try {
    run = JSON.parse(text).runs[0];
  } catch {
    run = null;
  }
  if (code !== 0 || !(run?.ok > 0)) fail(`${variant} failed (exit ${code}):\n${text}${stderrOf(variant)}`);
  // The load itself: past start-up and the warm-up's first second, before the load's end.
  const loadEndMs = (performance.now() - startedMs) - 250;
  const steady = readings.filter((r) => r.ms >= 1500 && r.ms <= loadEndMs);
  const steadyUs = steady.length >= 2 ? steady.at(-1)!.us - steady[0]!.us : NaN;
  const steadyS = steady.length >= 2 ? (steady.at(-1)!.ms - steady[0]!.ms) / 1000 : NaN;
  const errors = Object.values(run.errors as Record<string, number>).reduce((sum, n) => sum + n, 0);
  return {
    rateRps: run.throughputRps,
    steadyCpuUsPerRequest: steadyUs / (run.throughputRps * steadyS),
    noisePct: noisePct(before, after, (performance.now() - startedMs) * 1000),
    errors,
  };
}

ensureApt({ nginx: "nginx" });
ensureOnPath("taskset");
const server = await startNginx(SERVER_CORE);
if (!server.url.startsWith(`http://${HOST}:`)) fail(`refusing to load ${server.url}: only ${HOST} is allowed`);

const rounds: Record<Variant, Sample>[] = [];
for (let round = 0; round < runs; round++) {
  const samples = {} as Record<Variant, Sample>;
  for (let k = 0; k < VARIANTS.length; k++) {
    const variant = VARIANTS[(k + round) % VARIANTS.length]!;
    const sample = await quietRun(variant, () => measure(server, variant), maxNoisePct, retries);
    samples[variant] = sample;
    console.error(
      `[round ${round + 1}/${runs}] ${variant}: ${thousands(sample.rateRps)} req/s, ${sample.steadyCpuUsPerRequest.toFixed(2)} µs CPU/req, ` +
        `${sample.noisePct.toFixed(0)}% noise${sample.errors > 0 ? `, ${sample.errors} errors` : ""}`,
    );
  }
  rounds.push(samples);
}

const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const rows = VARIANTS.map((variant) => {
  const rate = median(rounds.map((r) => r[variant].rateRps));
  const cpu = median(rounds.map((r) => r[variant].steadyCpuUsPerRequest));
  if (variant === "single") return [variant, thousands(rate), fixed(cpu), "1.00×", "1.00×", "", ""];
  const rateRatio = median(rounds.map((r) => r[variant].rateRps / r.single.rateRps));
  const cpuRatio = median(rounds.map((r) => r[variant].steadyCpuUsPerRequest / r.single.steadyCpuUsPerRequest));
  const goal = GOALS[variant];
  const met = rateRatio >= goal.rate && (goal.cpu === null || cpuRatio <= goal.cpu);
  return [variant, thousands(rate), fixed(cpu), `${fixed(rateRatio)}×`, `${fixed(cpuRatio)}×`, `≥ ${goal.rate}×${goal.cpu === null ? "" : `, CPU ≤ ${goal.cpu}×`}`, met ? "yes" : "NO"];
});

console.log(`## Workload benchmark (${new Date().toISOString().slice(0, 16)}Z)\n`);
console.log(`- machine: ${machineLine()}`);
console.log(`- nginx (1 worker, \`return 200 "ok"\`) on core ${SERVER_CORE}; the client on core ${CLIENT_CORE}, ${connections} connections, ${durationS} s, keep-alive; ${runs} rounds; medians of in-round ratios`);
console.log(`- command: \`bun scripts/bench-targets.ts ${process.argv.slice(2).join(" ")}\``.replace(/ `$/, "`"));
console.log();
console.log(markdownTable(["variant", ">req/s", ">client CPU µs/req", ">req/s vs single", ">CPU vs single", "goal", "met"], rows));
