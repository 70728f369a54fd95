/**
 * Client benchmark: `minibench bench closed` side by side with wrk, ab and autocannon, all against
 * the same nginx.
 *
 *   bun scripts/bench-client.ts [--runs 5] [--duration-s 5] [--connections 50]
 *                               [--clients minibench,wrk,ab,autocannon] [--modes keep-alive,close]
 *                               [--max-noise-pct 5] [--retries 3]
 *
 * nginx (one worker, `return 200 "ok"`) is pinned to core 0 and every client to core 1, so each
 * client has one core, as wrk -t1 does. Two modes: keep-alive, and a new connection per request
 * ("close"). Runs go round-robin over the clients (in a rotating order) so that noise from the
 * rest of the machine lands on all of them alike; medians are reported.
 *
 * Client CPU per request is the client's utime + stime (every thread, and the kernel work done on
 * its behalf) from /proc/PID/stat, sampled from its start until it exits, divided by the requests
 * the tool itself reports as completed. That includes start-up (Bun loading the TypeScript CLI,
 * node loading autocannon), so the table also shows the steady state: the CPU used between 1 s
 * after start and the end of the load, divided by the requests the tool's rate says it completed
 * meanwhile.
 *
 * autocannon has no working "new connection per request" option: `-D 1` (reconnectRate) resets
 * the connection on each response and drops that response from its counts, so it reports zero.
 * Its close mode therefore sends `Connection: close`, as wrk's does; autocannon then also writes
 * the next request on the connection the server is closing (it reports twice as many sent as
 * completed), which is its own cost and is left in.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CLIENT_CORE, HOST, SERVER_CORE, cpuSnapshot, cpuUsOf, ensureApt, ensureNpm, ensureOnPath, fail, finish, integerFlag, listFlag,
  machineLine, markdownTable, median, noisePct, output, parseWrk, quietRun, ratio, spawnPinned, startNginx, stderrOf, thousands,
  wrkCommand, type ClientCounts, type Server,
} from "./lib/bench-kit.ts";

const ROOT = join(import.meta.dir, "..");
const MODES = ["keep-alive", "close"] as const;
type Mode = (typeof MODES)[number];
const CLIENTS = ["minibench", "wrk", "ab", "autocannon"] as const;
type ClientName = (typeof CLIENTS)[number];

const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "duration-s": { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    clients: { type: "string", default: CLIENTS.join(",") },
    modes: { type: "string", default: MODES.join(",") },
    "max-noise-pct": { type: "string", default: "5" },
    retries: { type: "string", default: "3" },
  },
  strict: true,
});

const runs = integerFlag("runs", flags.runs, 1);
const durationS = integerFlag("duration-s", flags["duration-s"], 1);
const connections = integerFlag("connections", flags.connections, 1);
const maxNoisePct = integerFlag("max-noise-pct", flags["max-noise-pct"], 0);
const retries = integerFlag("retries", flags.retries, 0);
const modes = listFlag("modes", flags.modes, MODES);
const names = listFlag("clients", flags.clients, CLIENTS);

// --- clients

interface Client {
  /** How the mode is asked for, for the table. */
  flag: Record<Mode, string>;
  command(url: string, mode: Mode, seconds: number): string[];
  /** The tool's own summary; null when it is not there (the run failed). */
  parse(text: string): ClientCounts | null;
}

function makeClients(autocannon: string): Record<ClientName, Client> {
  const c = String(connections);
  return {
    minibench: {
      flag: { "keep-alive": "(default)", close: "`--no-keepalive`" },
      command: (url, mode, seconds) => [
        process.execPath, join(ROOT, "src/cli.ts"), "bench", "closed", url, "-c", c, "-d", `${seconds}s`,
        "--repeat", "1", "--warmup", "1000", "--json", "--quiet", ...(mode === "close" ? ["--no-keepalive"] : []),
      ],
      parse(text) {
        let run;
        try {
          run = JSON.parse(text).runs[0];
        } catch {
          return null;
        }
        if (!(run?.ok > 0)) return null;
        const errors = Object.values(run.errors as Record<string, number>).reduce((sum, n) => sum + n, 0);
        return { requests: run.ok, rateRps: run.throughputRps, errors };
      },
    },
    wrk: {
      flag: { "keep-alive": "(default)", close: '`-H "Connection: close"`' },
      command: (url, mode, seconds) => wrkCommand(url, connections, seconds, mode === "close"),
      parse: parseWrk,
    },
    ab: {
      flag: { "keep-alive": "`-k`", close: "(default, no `-k`)" },
      // -t alone caps the run at 50,000 requests: -n, given after it, raises the cap out of reach
      // (ab reserves memory for -n results, so not absurdly). -r: count receive errors, do not exit on them.
      command: (url, mode, seconds) => [
        "ab", ...(mode === "keep-alive" ? ["-k"] : []), "-q", "-r", "-c", c, "-t", String(seconds), "-n", String(seconds * 1_000_000), url,
      ],
      parse(text) {
        // "Complete requests" counts the failed ones too (ab's failures are wrong lengths or errors after connect).
        const requests = Number(/^Complete requests:\s+(\d+)/m.exec(text)?.[1]);
        const rateRps = Number(/^Requests per second:\s+([\d.]+)/m.exec(text)?.[1]);
        if (!(requests > 0) || !(rateRps > 0)) return null;
        const failed = Number(/^Failed requests:\s+(\d+)/m.exec(text)?.[1] ?? 0);
        const non2xx = Number(/^Non-2xx responses:\s+(\d+)/m.exec(text)?.[1] ?? 0);
        return { requests, rateRps, errors: failed + non2xx };
      },
    },
    autocannon: {
      flag: { "keep-alive": "(default)", close: "`-H Connection=close` (its `-D 1` counts no responses)" },
      command: (url, mode, seconds) => [
        autocannon, "-c", c, "-d", String(seconds), "-n", "--json", ...(mode === "close" ? ["-H", "Connection=close"] : []), url,
      ],
      parse(text) {
        let result;
        try {
          result = JSON.parse(text);
        } catch {
          return null;
        }
        // requests.total counts responses; the rate is worked out as wrk's is (completed / elapsed),
        // not autocannon's mean of per-second samples, which ignores a partial last second.
        const requests = Number(result?.requests?.total);
        const elapsedS = Number(result?.duration);
        if (!(requests > 0) || !(elapsedS > 0)) return null;
        return { requests, rateRps: requests / elapsedS, errors: Number(result.errors) + Number(result.non2xx) };
      },
    },
  };
}

// --- measurement

interface Sample {
  requests: number;
  rateRps: number;
  /** Client CPU from start to exit per completed request. */
  cpuUsPerRequest: number;
  /** Client CPU per request between 1 s after start and the end of the load. */
  steadyCpuUsPerRequest: number;
  /** CPU other processes used during the run, as a percentage of one core. */
  noisePct: number;
  errors: number;
}

/** How often the client's CPU is read: /proc counts in 10 ms ticks anyway. */
const POLL_MS = 10;

async function measure(server: Server, name: ClientName, client: Client, mode: Mode, seconds: number): Promise<Sample> {
  const before = cpuSnapshot(server.pid);
  const startedMs = performance.now();
  const child = spawnPinned(CLIENT_CORE, client.command(server.url, mode, seconds), name);
  // The last reading before the client exits is its total: once reaped, /proc forgets it.
  const readings: { ms: number; us: number }[] = [];
  const read = () => {
    const us = cpuUsOf(child.pid);
    if (us !== null) readings.push({ ms: performance.now() - startedMs, us });
  };
  read();
  const poll = setInterval(read, POLL_MS);
  const { text, code } = await finish(child, seconds);
  clearInterval(poll);
  const after = cpuSnapshot(server.pid);
  const counts = client.parse(text);
  if (code !== 0 || counts === null) fail(`${name} failed (${mode}, exit ${code}):\n${text}${stderrOf(name)}`);
  const first = readings[0]!;
  const last = readings.at(-1)!;
  // The steady window: past every tool's start-up, and over before the earliest end of a load.
  const steady = readings.filter((r) => r.ms >= 1000 && r.ms <= seconds * 1000 - 250);
  const steadyUs = steady.length >= 2 ? steady.at(-1)!.us - steady[0]!.us : NaN;
  const steadyS = steady.length >= 2 ? (steady.at(-1)!.ms - steady[0]!.ms) / 1000 : NaN;
  return {
    requests: counts.requests,
    rateRps: counts.rateRps,
    cpuUsPerRequest: (last.us - first.us) / counts.requests,
    steadyCpuUsPerRequest: steadyUs / (counts.rateRps * steadyS),
    noisePct: noisePct(before, after, (performance.now() - startedMs) * 1000),
    errors: counts.errors,
  };
}

// --- run

ensureApt({ wrk: "wrk", nginx: "nginx", ab: "apache2-utils" });
ensureOnPath("taskset", "node");
const autocannon = names.includes("autocannon") ? ensureNpm("autocannon") : "";
const clients = makeClients(autocannon);
const server = await startNginx(SERVER_CORE);
if (!server.url.startsWith(`http://${HOST}:`)) fail(`refusing to load ${server.url}: only ${HOST} is allowed`);

const samples = new Map<string, Sample[]>();
const key = (name: ClientName, mode: Mode) => `${name} ${mode}`;
const total = runs * modes.length * names.length;
let done = 0;
for (let run = 0; run < runs; run++) {
  for (const mode of modes) {
    for (let k = 0; k < names.length; k++) {
      // Rotating the order keeps one client from always following the same neighbour.
      const name = names[(k + run) % names.length]!;
      const sample = await quietRun(`${name} ${mode}`, () => measure(server, name, clients[name], mode, durationS), maxNoisePct, retries);
      samples.set(key(name, mode), [...(samples.get(key(name, mode)) ?? []), sample]);
      const note = `${sample.noisePct.toFixed(0)}% noise${sample.errors > 0 ? `, ${sample.errors} errors` : ""}`;
      console.error(
        `[${++done}/${total}] ${name} ${mode}: ${thousands(sample.requests)} requests, ${Math.round(sample.rateRps)} req/s, ` +
          `${sample.cpuUsPerRequest.toFixed(2)} µs CPU/req (steady ${sample.steadyCpuUsPerRequest.toFixed(2)}), ${note}`,
      );
    }
  }
}

// --- report

const medianOf = (name: ClientName, mode: Mode, pick: (s: Sample) => number) => {
  const list = samples.get(key(name, mode));
  return list ? median(list.map(pick)) : NaN;
};
const rate = (name: ClientName, mode: Mode) => medianOf(name, mode, (s) => s.rateRps);
const cpu = (name: ClientName, mode: Mode) => medianOf(name, mode, (s) => s.cpuUsPerRequest);
const steadyCpu = (name: ClientName, mode: Mode) => medianOf(name, mode, (s) => s.steadyCpuUsPerRequest);
/**
 * The median over rounds of each run's rate over wrk's in the same round. The host can shift the
 * speed of both cores for minutes at a time (seen here as two levels, ~110k and ~140k req/s for
 * every tool, with no process of this machine busy); runs of one round are seconds apart, so the
 * paired ratio cancels that shift where a ratio of medians may not.
 */
const pairedRatio = (name: ClientName, mode: Mode) => {
  const mine = samples.get(key(name, mode));
  const wrks = samples.get(key("wrk", mode));
  return mine && wrks ? median(mine.map((s, round) => s.rateRps / wrks[round]!.rateRps)) : NaN;
};
const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

const rows: string[][] = [];
for (const mode of modes) {
  for (const name of names) {
    const list = samples.get(key(name, mode))!;
    const rates = list.map((s) => s.rateRps);
    rows.push([
      name,
      mode,
      clients[name].flag[mode],
      thousands(rate(name, mode)),
      `${thousands(Math.min(...rates))}–${thousands(Math.max(...rates))}`,
      fixed(cpu(name, mode)),
      fixed(steadyCpu(name, mode)),
      ratio(rate(name, mode), rate("wrk", mode)),
      Number.isFinite(pairedRatio(name, mode)) ? `${pairedRatio(name, mode).toFixed(2)}×` : "–",
      ratio(cpu(name, mode), cpu("wrk", mode)),
      Math.max(...list.map((s) => s.noisePct)).toFixed(0),
      String(list.reduce((sum, s) => sum + s.errors, 0)),
    ]);
  }
}

const version = (cmd: string) => output(["sh", "-c", cmd]);
console.log(`## Client benchmark (${new Date().toISOString().slice(0, 16)}Z)\n`);
console.log(`- machine: ${machineLine()}`);
console.log(
  `- Bun ${Bun.version}, ${version("nginx -v 2>&1")}, ${version("wrk -v 2>&1 | head -1").split(" [")[0]}, ` +
    `ab ${version("ab -V | head -1").split(" ")[4] ?? "?"}, autocannon ${autocannon ? version(`${autocannon} --version | head -1`).split(" v")[1] : "–"}, node ${version("node --version")}`,
);
console.log(
  `- nginx (1 worker, \`return 200 "ok"\`) on core ${SERVER_CORE}; each client on core ${CLIENT_CORE} with ${connections} connections ` +
    `for ${durationS} s; ${runs} runs per client and mode, round-robin; medians`,
);
console.log(`- command: \`bun scripts/bench-client.ts ${process.argv.slice(2).join(" ")}\``.replace(/ `$/, "`"));
console.log();
console.log(
  markdownTable(
    ["client", "mode", "how", ">req/s (median)", ">min–max", ">client CPU µs/req", ">steady µs/req", ">req/s vs wrk", ">paired vs wrk", ">CPU vs wrk", ">noise % (max)", ">errors"],
    rows,
  ),
);
console.log();

/** The targets minibench must reach, checked on the medians. */
const check = (label: string, ok: boolean) => console.log(`- ${ok ? "✓" : "✗"} ${label}`);
if (names.includes("minibench")) {
  const mb = (mode: Mode) => rate("minibench", mode);
  if (modes.includes("keep-alive") && names.includes("wrk")) {
    check(`keep-alive: minibench / wrk = ${ratio(mb("keep-alive"), rate("wrk", "keep-alive"))}, paired ${pairedRatio("minibench", "keep-alive").toFixed(2)}× (≥ 0.98×)`, mb("keep-alive") >= 0.98 * rate("wrk", "keep-alive"));
    check(
      `keep-alive: client CPU per request, minibench / wrk = ${ratio(cpu("minibench", "keep-alive"), cpu("wrk", "keep-alive"))}, ` +
        `steady ${ratio(steadyCpu("minibench", "keep-alive"), steadyCpu("wrk", "keep-alive"))} (≤ 1×)`,
      cpu("minibench", "keep-alive") <= cpu("wrk", "keep-alive"),
    );
  }
  if (modes.includes("close") && names.includes("wrk")) {
    check(`close: minibench / wrk = ${ratio(mb("close"), rate("wrk", "close"))}, paired ${pairedRatio("minibench", "close").toFixed(2)}× (≥ 0.9×)`, mb("close") >= 0.9 * rate("wrk", "close"));
  }
  if (names.includes("autocannon")) {
    for (const mode of modes) {
      check(`${mode}: minibench / autocannon = ${ratio(mb(mode), rate("autocannon", mode))} (≥ 2×)`, mb(mode) >= 2 * rate("autocannon", mode));
    }
  }
}
process.exit(0);
