/**
 * Does a preset's calibrated capacity agree with what the server sustains? Side by side, in one
 * run, per round: the whole preset (`bench preset --profile smoke`, as `npm start` runs it), then
 * a 10 s closed run at the concurrency its calibration found best. Reported per round: capacity
 * over the closed run's throughput (it should be within ±10%), and whether the 110% level was
 * reported as not sustained or achieved no more than capacity × 1.02.
 *
 *   bun scripts/check-calibration.ts [--targets serve,nginx] [--rounds 3] [--profile smoke] [--closed-seconds 10]
 *
 * The server runs on core 0, minibench on core 1; nginx is installed with apt-get when missing.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CLIENT_CORE,
  ensureApt,
  fail,
  finish,
  freePort,
  HOST,
  integerFlag,
  listFlag,
  machineLine,
  markdownTable,
  median,
  SERVER_CORE,
  type Server,
  spawnPinned,
  startNginx,
  stderrOf,
  tempDir,
  thousands,
} from "./lib/bench-kit.ts";

const CLI = join(import.meta.dir, "../src/cli.ts");
const TARGETS = ["serve", "nginx"] as const;
type TargetName = (typeof TARGETS)[number];

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: TARGETS.join(",") },
    rounds: { type: "string", default: "3" },
    profile: { type: "string", default: "smoke" },
    "closed-seconds": { type: "string", default: "10" },
  },
});
const targets = listFlag("targets", values.targets!, TARGETS);
const rounds = integerFlag("rounds", values.rounds!, 1);
const closedSeconds = integerFlag("closed-seconds", values["closed-seconds"]!, 1);
const profile = values.profile!;

async function startServe(): Promise<Server> {
  const port = freePort();
  const child = spawnPinned(SERVER_CORE, [process.execPath, CLI, "serve", "--host", HOST, "--port", String(port), "--quiet"], "serve");
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(value).includes("listening on")) fail(`minibench serve did not start: ${stderrOf("serve")}`);
  return { name: "minibench serve", pid: child.pid, url: `http://${HOST}:${port}/` };
}

/** `minibench bench …` on the client core; its result document. */
async function bench(args: string[], bound: number, name: string): Promise<any> {
  const child = spawnPinned(CLIENT_CORE, [process.execPath, CLI, "bench", ...args, "--json", "--quiet"], name);
  const { text, code } = await finish(child, bound);
  if (code !== 0) fail(`bench ${args.join(" ")} exited ${code}: ${stderrOf(name)}`);
  return JSON.parse(text);
}

interface Round {
  capacityRps: number;
  bestConcurrency: number;
  closedRps: number;
  overloadAchievedRps: number;
  overloadSustained: boolean | null;
}

async function round(url: string): Promise<Round> {
  const preset = await bench(["preset", url, "--profile", profile, "--out-dir", tempDir], 300, "preset");
  const { capacityRps, levels } = preset.summary.preset;
  const bestConcurrency: number = preset.summary.sweep.best.concurrency;
  const top = levels.at(-1);
  const overload = preset.summary.groups.find((g: any) => g.phase === "open" && g.targetRps === top.targetRps);
  const closed = await bench(["closed", url, "-c", String(bestConcurrency), "-d", String(closedSeconds), "--repeat", "1", "--warmup", "1000"], closedSeconds + 60, "closed");
  return {
    capacityRps,
    bestConcurrency,
    closedRps: closed.runs[0].throughputRps,
    overloadAchievedRps: overload.achievedRps,
    overloadSustained: overload.sustained,
  };
}

const rows: string[][] = [];
const summary: string[] = [];
for (const name of targets as TargetName[]) {
  if (name === "nginx") ensureApt({ nginx: "nginx-light" });
  const server = name === "nginx" ? await startNginx(SERVER_CORE) : await startServe();
  const ratios: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    const r = await round(server.url);
    const ratio = r.capacityRps / r.closedRps;
    ratios.push(ratio);
    const overloadOk = r.overloadSustained === false || r.overloadAchievedRps <= r.capacityRps * 1.02;
    rows.push([
      server.name,
      String(i),
      thousands(r.capacityRps),
      String(r.bestConcurrency),
      thousands(r.closedRps),
      ratio.toFixed(3),
      thousands(r.overloadAchievedRps),
      r.overloadSustained === false ? "not sustained" : "sustained",
      overloadOk ? "ok" : "FAIL",
    ]);
    console.error(`${server.name} round ${i}: capacity ${thousands(r.capacityRps)} vs closed ${thousands(r.closedRps)} req/s (${ratio.toFixed(3)})`);
  }
  // Stopped before the next target is measured, so it takes no CPU from it.
  process.kill(server.pid, "SIGTERM");
  const middle = median(ratios);
  summary.push(`${server.name}: median capacity / closed ${closedSeconds} s = ${middle.toFixed(3)} (${Math.abs(middle - 1) <= 0.1 ? "within" : "OUTSIDE"} ±10%)`);
}

console.log(`## Preset calibration against a ${closedSeconds} s closed run (profile ${profile})\n`);
console.log(`${machineLine()}; server on core ${SERVER_CORE}, minibench on core ${CLIENT_CORE}\n`);
console.log(
  markdownTable(
    ["target", ">round", ">capacity req/s", ">best c", `>closed ${closedSeconds} s req/s`, ">capacity / closed", ">110% achieved", "110% verdict", "110% check"],
    rows,
  ),
);
console.log(`\n${summary.join("\n")}`);
// The servers are children: exiting kills them (bench-kit), and nothing else would end the process.
process.exit(0);
