/**
 * What the benchmark scripts share: tools installed when missing, children pinned to a core and
 * always killed on the way out, nginx at its best on one core, CPU accounting from /proc, the
 * noise other processes make, and the Markdown output.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Subprocess } from "bun";

export const HOST = "127.0.0.1";
export const SERVER_CORE = "0";
export const CLIENT_CORE = "1";

const SCRIPT = basename(Bun.main, ".ts");

export function fail(message: string): never {
  console.error(`${SCRIPT}: ${message}`);
  process.exit(1);
}

export function integerFlag(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${name}: expected an integer ≥ ${min}, got "${text}"`);
  return n;
}

/** A comma-separated flag whose every element must be one of `allowed`. */
export function listFlag<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const list = text.split(",") as T[];
  for (const item of list) if (!allowed.includes(item)) fail(`--${name}: unknown "${item}" (${allowed.join(", ")})`);
  return list;
}

// --- children: every process started here is killed on the way out, whatever the way out is.

const children = new Set<Pick<Subprocess, "kill">>();
export const tempDir = mkdtempSync(join(tmpdir(), `${SCRIPT}-`));

process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(tempDir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => process.exit(130));

/** Starts `cmd` on one core. Its stderr goes to a file: a pipe nobody reads could fill and stall it. */
export function spawnPinned(core: string, cmd: string[], name: string) {
  const child = Bun.spawn(["taskset", "-c", core, ...cmd], { stdin: "ignore", stdout: "pipe", stderr: Bun.file(stderrPath(name)) });
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

const stderrPath = (name: string) => join(tempDir, `${name}.stderr`);
export const stderrOf = (name: string) => readFileSync(stderrPath(name), "utf8");

/** Waits for a client that ends on its own after `seconds`; the timer only guards against one that hangs. */
export async function finish(child: Subprocess<"ignore", "pipe">, seconds: number): Promise<{ text: string; code: number }> {
  const guard = setTimeout(() => child.kill("SIGKILL"), (seconds + 15) * 1000);
  const [text, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  clearTimeout(guard);
  return { text, code };
}

export function output(cmd: string[]): string {
  return Bun.spawnSync(cmd).stdout.toString().trim();
}

// --- tools

/** Installs the Debian packages of the missing binaries (binary → package). */
export function ensureApt(packages: Record<string, string>): void {
  const missing = Object.keys(packages).filter((tool) => !Bun.which(tool, { PATH: `${process.env.PATH}:/usr/sbin` }));
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((tool) => packages[tool]!))].join(" ");
  console.error(`${SCRIPT}: installing ${names} with apt-get`);
  const apt = Bun.spawnSync(["sh", "-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${names}`], {
    stdout: "ignore",
    stderr: "inherit",
  });
  if (apt.exitCode !== 0) fail(`apt-get install ${names} failed (root and the Debian mirror are needed)`);
}

export function ensureOnPath(...tools: string[]): void {
  for (const tool of tools) if (!Bun.which(tool)) fail(`${tool} not found on PATH`);
}

/** Peer tools from npm live outside the project, so they never become one of its dependencies. */
const NPM_PREFIX = join(tmpdir(), "peers");

/** Installs an npm package into NPM_PREFIX when missing; returns the path of its binary. */
export function ensureNpm(pkg: string, binary = pkg): string {
  const path = join(NPM_PREFIX, "node_modules", ".bin", binary);
  if (Bun.which(path)) return path;
  console.error(`${SCRIPT}: installing ${pkg} into ${NPM_PREFIX} with npm`);
  const npm = Bun.spawnSync(["npm", "install", "--no-save", "--prefix", NPM_PREFIX, pkg], { stdout: "ignore", stderr: "inherit" });
  if (npm.exitCode !== 0 || !Bun.which(path)) fail(`npm install --prefix ${NPM_PREFIX} ${pkg} failed`);
  return path;
}

// --- servers

export interface Server {
  name: string;
  pid: number;
  url: string;
}

export function freePort(): number {
  const probe = Bun.listen({ hostname: HOST, port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * nginx at its honest best on one core: one process and no master (the worker is the pid we
 * measure); `deferred` (TCP_DEFER_ACCEPT: accept only once the request has arrived, which saves a
 * wake-up per connection, ~10% more new connections per second here); `multi_accept`; and a
 * keep-alive request cap that never triggers (the default of 1000 makes clients reconnect).
 */
export async function startNginx(core: string): Promise<Server> {
  const port = freePort();
  writeFileSync(
    join(tempDir, "nginx.conf"),
    `daemon off;
master_process off;
worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  server_tokens off;
  default_type text/plain;
  keepalive_requests 1000000000;
  client_body_temp_path body; proxy_temp_path proxy; fastcgi_temp_path fastcgi; uwsgi_temp_path uwsgi; scgi_temp_path scgi;
  server { listen ${HOST}:${port} deferred; location / { return 200 "ok"; } }
}
`,
  );
  const cmd = ["nginx", "-p", tempDir, "-c", "nginx.conf", "-e", "stderr"];
  const child = spawnPinned(core, cmd, "nginx");
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) fail(`nginx did not start (exit ${child.exitCode}): ${cmd.join(" ")}\n${stderrOf("nginx")}`);
    const ok = await fetch(`http://${HOST}:${port}/`).then((r) => r.ok, () => false);
    if (ok) return { name: "nginx", pid: child.pid, url: `http://${HOST}:${port}/` };
    await Bun.sleep(100);
  }
  fail(`nginx did not answer on ${HOST}:${port} within 10 s`);
}

// --- wrk, the reference client

/** One thread: every client measured here gets one core. */
export function wrkCommand(url: string, connections: number, seconds: number, close: boolean): string[] {
  if (!url.startsWith(`http://${HOST}:`)) fail(`refusing to load ${url}: only ${HOST} is allowed`);
  return ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, ...(close ? ["-H", "Connection: close"] : []), url];
}

export interface ClientCounts {
  /** Completed requests, as the tool reports them. */
  requests: number;
  rateRps: number;
  /** Transport errors and non-2xx responses. */
  errors: number;
}

/** wrk's summary: "N requests in 5.00s", "Requests/sec: R", and error lines only when there were errors. */
export function parseWrk(text: string): ClientCounts | null {
  const requests = Number(/^\s*(\d+) requests in /m.exec(text)?.[1]);
  const rateRps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(text)?.[1]);
  if (!(requests > 0) || !(rateRps > 0)) return null;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)?.slice(1) ?? [];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return { requests, rateRps, errors: socketErrors.reduce((sum, n) => sum + Number(n), non2xx) };
}

// --- CPU accounting

const TICK_US = 1e6 / Number(output(["getconf", "CLK_TCK"]) || 100);

/** utime + stime of one process, every thread of it included (/proc/PID/stat sums them); null once it is gone. */
export function cpuUsOf(pid: number): number | null {
  try {
    const f = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return null;
  }
}

/** The fields after the command name, which may contain spaces: f[0] is stat field 3 (state). */
const statFields = (text: string) => text.slice(text.lastIndexOf(")") + 2).split(" ");

export interface CpuSnapshot {
  /** utime + stime of the measured process and its descendants. */
  measuredUs: number;
  /** CPU of every other user-space process, reaped children included: what disturbs a run. */
  othersUs: number;
}

/**
 * Reads all of /proc once. `measuredPid` and its descendants are counted apart; the processes of
 * `partPids` (and their descendants) belong to the experiment, so they are not noise either.
 */
export function cpuSnapshot(measuredPid: number, partPids: number[] = []): CpuSnapshot {
  const stats = new Map<number, { ppid: number; own: number; reaped: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(readFileSync(`/proc/${entry}/stat`, "utf8"));
      stats.set(Number(entry), { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) });
    } catch {
      // The process ended while /proc was being listed.
    }
  }
  const tree = (roots: number[]) => {
    const pids = [...roots];
    for (const pid of pids) for (const [child, stat] of stats) if (stat.ppid === pid) pids.push(child);
    return new Set(pids);
  };
  const measured = tree([measuredPid]);
  const part = tree(partPids);
  let measuredTicks = 0;
  let othersTicks = 0;
  for (const [pid, stat] of stats) {
    if (measured.has(pid)) measuredTicks += stat.own;
    // Kernel threads (children of kthreadd, pid 2) do our loopback work; this process reaps the clients it runs.
    else if (!part.has(pid) && pid !== process.pid && pid !== 2 && stat.ppid !== 2) othersTicks += stat.own + stat.reaped;
  }
  return { measuredUs: measuredTicks * TICK_US, othersUs: othersTicks * TICK_US };
}

/** CPU the rest of the machine used between two snapshots, as a percentage of one core. */
export function noisePct(before: CpuSnapshot, after: CpuSnapshot, elapsedUs: number): number {
  return (100 * Math.max(0, after.othersUs - before.othersUs)) / elapsedUs;
}

/**
 * A run disturbed by other processes is repeated (a few times at most, keeping the quietest), so
 * noise does not pick the winner.
 */
export async function quietRun<T extends { noisePct: number }>(label: string, run: () => Promise<T>, maxNoisePct: number, retries: number): Promise<T> {
  let best = await run();
  for (let retry = 0; retry < retries && best.noisePct > maxNoisePct; retry++) {
    console.error(`  ${label}: other processes used ${best.noisePct.toFixed(0)}% of a core, running again`);
    await Bun.sleep(2000); // Bursts (a test suite, a build) are usually over by then.
    const sample = await run();
    if (sample.noisePct < best.noisePct) best = sample;
  }
  return best;
}

// --- report

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const thousands = (n: number) => Math.round(n).toLocaleString("en-US");
export const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "–");

export function machineLine(): string {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  return `${output(["nproc"])} cores, ${cpuModel}, Linux ${output(["uname", "-r"])}`;
}

/** A Markdown table; columns whose header starts with ">" are right-aligned (numbers). */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header.map((h) => h.replace(/^>/, ""))),
    line(header.map((h) => (h.startsWith(">") ? "---:" : "---"))),
    ...rows.map(line),
  ].join("\n");
}
