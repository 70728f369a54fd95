import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { assetName, hostTargetName } from "../../scripts/build.ts";
import { checkHeader, checkScriptRun, EXPECTED } from "../../scripts/check-binaries.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * The compiled executable end to end, as users run it: built for this host by the release build
 * script into a temporary directory, and run from another directory, so nothing in it can lean on
 * the source tree (Worker files above all: they must be embedded and found inside the binary).
 */

const ROOT = join(import.meta.dir, "../..");
const outDir = tempDir("build");
const elsewhere = tempDir("cwd");
const binary = join(outDir, assetName({ name: hostTargetName() }));
const linux = process.platform === "linux";
// NODE_ENV=test, which bun test sets, stays (and reaches the build too): the binary must not care.
const env = { ...process.env, NO_COLOR: "1" };

let server: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
let url = "";

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

async function run(args: string[], during?: (pid: number) => Promise<void>): Promise<Run> {
  const child = Bun.spawn([binary, ...args], { cwd: elsewhere, stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  await during?.(child.pid);
  const [stdout, stderr, code] = await output;
  return { stdout, stderr, code };
}

/** `serve --port 0` from the binary; resolves with its URL once it printed its listening line. */
async function serve(args: string[]): Promise<{ proc: typeof server & {}; url: string; stderr: Promise<string> }> {
  const proc = Bun.spawn([binary, "serve", "--port", "0", ...args], { cwd: elsewhere, stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
  const stderr = new Response(proc.stderr).text();
  const reader = proc.stdout.getReader();
  // A Worker that cannot load can leave serve spinning without a word: do not wait forever.
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += new TextDecoder().decode(value);
  }
  clearTimeout(deadline);
  reader.releaseLock();
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(line);
  if (!match) throw new Error(`no listening line: ${JSON.stringify(line)}; stderr: ${await stderr}`);
  return { proc, url: `${match[1]}/`, stderr };
}

const gitHead = () => Bun.spawnSync(["git", "rev-parse", "--short=7", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
/** HEAD just before and just after the build, as a commit may land in between. */
const builtFrom: string[] = [];

beforeAll(async () => {
  builtFrom.push(gitHead());
  const build = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--outdir", outDir], { stdout: "pipe", stderr: "pipe" });
  if (!build.success) throw new Error(`build failed: ${build.stderr.toString()}`);
  builtFrom.push(gitHead());
  const started = await serve(["--quiet"]);
  server = started.proc;
  url = started.url;
}, 120_000);

afterAll(() => {
  server?.kill();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

test("the build writes the executable and a SHA256SUMS line for it, and nothing else", async () => {
  const file = assetName({ name: hostTargetName() });
  expect(readdirSync(outDir).sort()).toEqual(["SHA256SUMS", file].sort());
  const sha256 = new Bun.CryptoHasher("sha256").update(await Bun.file(binary).arrayBuffer()).digest("hex");
  expect(readFileSync(join(outDir, "SHA256SUMS"), "utf8")).toBe(`${sha256}  ${file}\n`);
  // The same header check the release runs on the cross-compiled files, here on one that runs.
  expect(checkHeader(readFileSync(binary).subarray(0, 4096), EXPECTED[hostTargetName()]!)).toBeNull();
});

test("--version: package.json's version and the commit it was built from", async () => {
  expect(builtFrom[0]).toMatch(/^[0-9a-f]{7,}$/);
  const { stdout, code } = await run(["--version"]);
  expect(code).toBe(0);
  expect(builtFrom.map((commit) => `${pkg.version} (${commit})\n`)).toContain(stdout);
});

test("bench closed --json against serve: exact counts", async () => {
  const { stdout, code } = await run(["bench", "closed", url, "-n", "1000", "-c", "10", "--warmup", "0", "--repeat", "1", "--json"]);
  expect(code).toBe(0);
  const document = JSON.parse(stdout);
  expect(document.version).toBe(pkg.version);
  expect(document.runs.map((r: { requests: number; ok: number }) => [r.requests, r.ok])).toEqual([[1000, 1000]]);
});

test("--script: a TypeScript workload module is loaded from disk at run time, its targets() and pick(i) obeyed", async () => {
  expect(await checkScriptRun(binary)).toBeNull();
});

test("--threads 2: the thread Worker loads inside the binary", async () => {
  const { stdout, stderr, code } = await run(["bench", "closed", url, "-n", "1001", "-c", "6", "--warmup", "0", "--repeat", "1", "--threads", "2", "--json"]);
  expect(stderr).not.toContain("ModuleNotFound");
  expect(code).toBe(0);
  const document = JSON.parse(stdout);
  expect(document.options.threads).toBe(2);
  expect(document.runs[0].ok).toBe(1001);
});

test("bench open: runs, with its waker Worker alive during the run", async () => {
  // Without its waker the open loop still works, on a 1 ms timer, so only the thread shows it:
  // Bun names Worker threads "Worker", and a waker that failed to load leaves none behind.
  let threads: string[] = [];
  const { stdout, code } = await run(["bench", "open", url, "--rps", "200", "-d", "2", "--warmup-sec", "0", "--repeat", "1", "--json"], async (pid) => {
    if (!linux) return; // thread names are read from /proc
    await Bun.sleep(1000);
    const tasks = `/proc/${pid}/task`;
    threads = readdirSync(tasks).map((task) => readFileSync(join(tasks, task, "comm"), "utf8").trim());
  });
  expect(code).toBe(0);
  const [result] = JSON.parse(stdout).runs;
  expect(result.requests).toBe(400);
  expect(result.ok).toBe(400);
  if (linux) expect(threads).toContain("Worker");
});

test("bench --serve: the binary starts itself as the target", async () => {
  const { stdout, code } = await run(["bench", "closed", "--serve", "-n", "200", "-c", "2", "--repeat", "1", "--json"]);
  expect(code).toBe(0);
  expect(JSON.parse(stdout).runs[0].ok).toBe(200);
});

test("--report with intervals: uPlot is embedded in the page from inside the binary", async () => {
  const report = join(elsewhere, "over-time.html");
  const { code } = await run(["bench", "closed", url, "-d", "1", "-c", "2", "--warmup", "0", "--repeat", "1", "--interval", "0.25", "--report", report, "--quiet"]);
  expect(code).toBe(0);
  const html = readFileSync(report, "utf8");
  expect(html).toContain("var uPlot=function");
  expect(html.match(/class="time-chart-data"/g)).toHaveLength(2);
});

test("serve --workers 2: a second listener in a Worker on Linux (elsewhere it falls back to 1)", async () => {
  const cluster = await serve(["--workers", "2"]);
  try {
    const { stdout, code } = await run(["bench", "closed", cluster.url, "-n", "1000", "-c", "20", "--warmup", "0", "--repeat", "1", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).runs[0].ok).toBe(1000);
  } finally {
    cluster.proc.kill("SIGTERM");
  }
  expect(await cluster.proc.exited).toBe(0);
  expect(await cluster.stderr).toContain(linux ? "2 listeners" : "running 1 listener");
});
