#!/usr/bin/env bun
/**
 * A fleet of load generators, simulated on one machine: N `minibench bench open` processes
 * against one `minibench serve`, started with one --start-at, each at its share of R req/s, their
 * documents merged with `minibench merge`; then one process at the full rate R with the same
 * total in-flight cap; then `minibench compare` (base: the single process, new: the fleet).
 *
 *   bun scripts/simulate-fleet.ts [--generators 3] [--rps 3000] [--duration 1] [--repeat 5]
 *                                 [--warmup-sec 1] [--cap 300] [--out-dir DIR]
 *
 * What it shows: that N generators started together deliver and measure what one generator at
 * the full rate does (rates add up, latency histograms merge exactly), and how far apart they
 * actually started. Several processes on one small machine also compete for its cores, which a
 * real fleet on several machines does not: a latency difference here is partly that.
 * Keep the load modest on a shared machine: the defaults run ~6 s of 3000 req/s per side.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ResultDocument } from "../src/stats/document.ts";
import { startServeChild } from "../src/server/child.ts";

const CLI = resolve(import.meta.dir, "../src/cli.ts");

const { values: flags } = parseArgs({
  options: {
    generators: { type: "string", default: "3" },
    rps: { type: "string", default: "3000" },
    duration: { type: "string", default: "1" },
    repeat: { type: "string", default: "5" },
    "warmup-sec": { type: "string", default: "1" },
    cap: { type: "string", default: "300" },
    "out-dir": { type: "string" },
  },
});
const generators = positiveInteger("--generators", flags.generators);
const totalRps = positiveInteger("--rps", flags.rps);
const capPerGenerator = positiveInteger("--cap", flags.cap);
const outDir = flags["out-dir"] ?? mkdtempSync(join(tmpdir(), "minibench-fleet-"));
mkdirSync(outDir, { recursive: true });

function positiveInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

/** `bun src/cli.ts …` with stderr shown (tables, warnings), stdout captured. */
async function minibench(args: string[]): Promise<string> {
  const child = Bun.spawn([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  // compare exits 3 when the fleet measured worse beyond noise: a finding to print, not a failure.
  if (code !== 0 && !(args[0] === "compare" && code === 3)) throw new Error(`minibench ${args.join(" ")} exited ${code}`);
  return stdout;
}


/** The same split as the Kubernetes Job: integer shares that add up to the total exactly. */
const shareOf = (index: number) => Math.floor(totalRps / generators) + (index < totalRps % generators ? 1 : 0);

const openArgs = (url: string, rps: number, cap: number) => [
  "bench", "open", url, "--rps", String(rps), "--concurrency", String(cap), "--duration", flags.duration!,
  "--repeat", flags.repeat!, "--warmup-sec", flags["warmup-sec"]!, "--quiet",
];

function summary(name: string, document: ResultDocument): string {
  return document.summary.groups
    .map((g) => {
      const lat = g.latencyMs;
      const fmt = (ms: number) => ms.toFixed(ms >= 10 ? 1 : 2).padStart(6);
      return `${name.padEnd(26)} target ${String(g.targetRps).padStart(5)}  achieved ${Math.round(g.achievedRps ?? 0).toString().padStart(5)} req/s  ` +
        `p50 ${fmt(lat.p50)}  p90 ${fmt(lat.p90)}  p99 ${fmt(lat.p99)}  max ${fmt(lat.max)} ms  ` +
        `requests ${g.requests}  dropped ${g.dropped}  (${g.repeats} repeats)`;
    })
    .join("\n");
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as ResultDocument;

const server = await startServeChild([], [process.execPath, CLI]);
try {
  console.error(`server ${server.url}; results in ${outDir}`);

  // The fleet: N processes, one start time, each its share.
  const startAtMs = Date.now() + 1500;
  const genPaths = Array.from({ length: generators }, (_, i) => join(outDir, `gen-${i}.json`));
  console.error(`\n== fleet: ${generators} generators × ~${Math.round(totalRps / generators)} req/s, --start-at ${startAtMs}`);
  await Promise.all(genPaths.map((out, i) => minibench([...openArgs(server.url, shareOf(i), capPerGenerator), "--start-at", String(startAtMs), "--out", out])));
  const startedMs = genPaths.map((path) => Date.parse(read(path).startedAt));
  const fleetPath = join(outDir, "fleet.json");
  await minibench(["merge", ...genPaths, "-o", fleetPath]);

  // One process at the full rate, with the fleet's total cap so the two points match.
  console.error(`\n== single: 1 generator × ${totalRps} req/s`);
  const singlePath = join(outDir, "single.json");
  await minibench([...openArgs(server.url, totalRps, capPerGenerator * generators), "--out", singlePath]);

  console.error("\n== compare single.json (base) fleet.json (new)");
  const comparison = JSON.parse(await minibench(["compare", singlePath, fleetPath, "--json", "--report", join(outDir, "compare.html")]));

  console.log(`\n--start-at: generators started ${startedMs.map((ms) => ms - startAtMs).join(", ")} ms after the time asked for (spread ${Math.max(...startedMs) - Math.min(...startedMs)} ms)`);
  console.log(summary("single process", read(singlePath)));
  console.log(summary(`fleet of ${generators} (merged)`, read(fleetPath)));
  for (const [i, path] of genPaths.entries()) console.log(summary(`  generator ${i}`, read(path)));
  for (const point of comparison.points) {
    console.log(`verdict (${point.label}): ` + point.metrics.map((m: { metric: string; changePct: number; verdict: string }) => `${m.metric} ${m.changePct >= 0 ? "+" : ""}${m.changePct.toFixed(1)}% ${m.verdict}`).join("; "));
  }
} finally {
  await server.stop();
}
