/**
 * Server benchmark: `minibench serve` side by side with Bun.serve, node:http and nginx.
 *
 *   bun scripts/bench-server.ts [--runs 5] [--duration-s 5] [--connections 50] [--warmup-s 1]
 *                               [--servers minibench,bun-serve,node-http,nginx] [--modes keep-alive,close]
 *                               [--max-noise-pct 5] [--retries 3]
 *
 * Every server is pinned to core 0 and wrk to core 1, so the number measured is what one server
 * core can do, not how the scheduler shares two cores between client and server. Runs go round-robin
 * over the servers (in a rotating order) so that noise from the rest of the machine lands on all
 * of them alike; the median of the runs is reported. Server CPU per request comes from the server
 * process's utime + stime in /proc, which counts every thread and the kernel work done on its behalf.
 * The CPU every other process burns during a run is measured too: a run it disturbed beyond
 * --max-noise-pct of a core is repeated, and the table shows the noise the kept runs saw.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CLIENT_CORE, HOST, SERVER_CORE, cpuSnapshot, ensureApt, ensureOnPath, fail, finish, integerFlag, listFlag, machineLine, markdownTable,
  median, noisePct, output, parseWrk, quietRun, ratio, spawnPinned, startNginx, stderrOf, thousands, wrkCommand, type Server,
} from "./lib/bench-kit.ts";

const ROOT = join(import.meta.dir, "..");
const MODES = ["keep-alive", "close"] as const;
type Mode = (typeof MODES)[number];

const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "duration-s": { type: "string", default: "5" },
    "warmup-s": { type: "string", default: "1" },
    connections: { type: "string", default: "50" },
    servers: { type: "string", default: "minibench,bun-serve,node-http,nginx" },
    modes: { type: "string", default: MODES.join(",") },
    "max-noise-pct": { type: "string", default: "5" },
    retries: { type: "string", default: "3" },
  },
  strict: true,
});

const runs = integerFlag("runs", flags.runs, 1);
const durationS = integerFlag("duration-s", flags["duration-s"], 1);
const warmupS = integerFlag("warmup-s", flags["warmup-s"], 0);
const connections = integerFlag("connections", flags.connections, 1);
const maxNoisePct = integerFlag("max-noise-pct", flags["max-noise-pct"], 0);
const retries = integerFlag("retries", flags.retries, 0);
const modes = listFlag("modes", flags.modes, MODES);

// --- servers

/** Starts a server that prints `listening on http://HOST:PORT` and waits for that line. */
async function startPrinting(name: string, cmd: string[]): Promise<Server> {
  const child = spawnPinned(SERVER_CORE, cmd, name);
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Bun.sleep(10_000).then(() => "timeout" as const);
  while (!text.includes("\n")) {
    const chunk = await Promise.race([reader.read(), deadline]);
    if (chunk === "timeout" || chunk.done) {
      child.kill("SIGKILL");
      const why = chunk === "timeout" ? "no listening line within 10 s" : `exit ${await child.exited}`;
      fail(`${name} did not start (${why}): ${cmd.join(" ")}\n${stderrOf(name)}`);
    }
    text += decoder.decode(chunk.value);
  }
  reader.releaseLock();
  const match = /^listening on (http:\/\/([^:/]+):(\d+))$/m.exec(text);
  if (!match) fail(`${name} printed "${text.trim()}" instead of "listening on http://${HOST}:PORT"`);
  return { name, pid: child.pid, url: `${match[1]}/` };
}

const starters: Record<string, () => Promise<Server>> = {
  minibench: () => startPrinting("minibench", [process.execPath, join(ROOT, "src/cli.ts"), "serve", "--host", HOST, "--port", "0", "--quiet"]),
  "bun-serve": () => startPrinting("bun-serve", [process.execPath, join(ROOT, "scripts/peers/bun-serve.ts")]),
  "node-http": () => startPrinting("node-http", ["node", join(ROOT, "scripts/peers/node-http.mjs")]),
  nginx: () => startNginx(SERVER_CORE),
};

// --- measurement

interface Sample {
  rateRps: number;
  cpuUsPerRequest: number;
  /** CPU other processes used during the run, as a percentage of one core. */
  noisePct: number;
  errors: number;
}

async function wrk(server: Server, mode: Mode, seconds: number): Promise<Sample> {
  const before = cpuSnapshot(server.pid);
  const startedMs = performance.now();
  const child = spawnPinned(CLIENT_CORE, wrkCommand(server.url, connections, seconds, mode === "close"), "wrk");
  const { text, code } = await finish(child, seconds);
  const after = cpuSnapshot(server.pid);
  const result = parseWrk(text);
  if (code !== 0 || result === null) fail(`wrk failed against ${server.name} (${mode}, exit ${code}):\n${text}${stderrOf("wrk")}`);
  return {
    rateRps: result.rateRps,
    cpuUsPerRequest: (after.measuredUs - before.measuredUs) / result.requests,
    noisePct: noisePct(before, after, (performance.now() - startedMs) * 1000),
    errors: result.errors,
  };
}

const quietWrk = (server: Server, mode: Mode) => quietRun(`${server.name} ${mode}`, () => wrk(server, mode, durationS), maxNoisePct, retries);

// --- run

ensureApt({ wrk: "wrk", nginx: "nginx" });
ensureOnPath("taskset", "node");
const names = flags.servers.split(",");
for (const name of names) if (!starters[name]) fail(`--servers: unknown server "${name}" (${Object.keys(starters).join(", ")})`);
const servers: Server[] = [];
for (const name of names) servers.push(await starters[name]!());

// Warm-up: lets the JITs of the JavaScript servers settle before anything is counted.
if (warmupS > 0) for (const server of servers) for (const mode of modes) await wrk(server, mode, warmupS);

const samples = new Map<string, Sample[]>();
const key = (server: Server, mode: Mode) => `${server.name} ${mode}`;
const total = runs * modes.length * servers.length;
let done = 0;
for (let run = 0; run < runs; run++) {
  for (const mode of modes) {
    for (let k = 0; k < servers.length; k++) {
      // Rotating the order keeps one server from always following the same neighbour.
      const server = servers[(k + run) % servers.length]!;
      const sample = await quietWrk(server, mode);
      samples.set(key(server, mode), [...(samples.get(key(server, mode)) ?? []), sample]);
      const note = `${sample.noisePct.toFixed(0)}% noise${sample.errors > 0 ? `, ${sample.errors} errors` : ""}`;
      console.error(`[${++done}/${total}] ${server.name} ${mode}: ${Math.round(sample.rateRps)} req/s, ${sample.cpuUsPerRequest.toFixed(2)} µs CPU/req, ${note}`);
    }
  }
}

// --- report

const rate = (name: string, mode: Mode) => {
  const list = samples.get(`${name} ${mode}`);
  return list ? median(list.map((s) => s.rateRps)) : NaN;
};

console.log(`## Server benchmark (${new Date().toISOString().slice(0, 16)}Z)\n`);
console.log(`- machine: ${machineLine()}`);
console.log(`- Bun ${Bun.version}, node ${output(["node", "--version"])}, ${output(["sh", "-c", "nginx -v 2>&1"])}, ${output(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" [")[0]}`);
console.log(`- servers on core ${SERVER_CORE}; \`taskset -c ${CLIENT_CORE} wrk -t1 -c${connections} -d${durationS}s\`; ${runs} runs per server and mode, round-robin, after a ${warmupS} s warm-up\n`);
const rows: string[][] = [];
for (const mode of modes) {
  for (const server of servers) {
    const list = samples.get(key(server, mode))!;
    const rates = list.map((s) => s.rateRps);
    rows.push([
      server.name,
      mode,
      thousands(median(rates)),
      `${thousands(Math.min(...rates))}–${thousands(Math.max(...rates))}`,
      median(list.map((s) => s.cpuUsPerRequest)).toFixed(2),
      ratio(median(rates), rate("nginx", mode)),
      Math.max(...list.map((s) => s.noisePct)).toFixed(0),
      String(list.reduce((sum, s) => sum + s.errors, 0)),
    ]);
  }
}
console.log(markdownTable(["server", "mode", ">req/s (median)", ">min–max", ">server CPU µs/req", ">vs nginx", ">noise % (max)", ">errors"], rows));
console.log();
for (const mode of modes) console.log(`- ${mode}: minibench / Bun.serve = ${ratio(rate("minibench", mode), rate("bun-serve", mode))}, minibench / nginx = ${ratio(rate("minibench", mode), rate("nginx", mode))}`);
process.exit(0);
