#!/usr/bin/env bun
/**
 * Renders result documents as HTML reports and photographs them with headless Chromium, to see
 * what a reader sees (and for the README picture).
 *
 *   bun scripts/screenshot-report.ts [RESULT.json …] [--out-dir DIR] [--window 1200,2400]
 *
 * Each RESULT.json becomes DIR/<name>.html and DIR/<name>.png. With no document given, a short
 * closed and a short open benchmark run against a spawned `minibench serve` to make two.
 * Chromium comes from Debian (`apt-get install chromium`); when it is missing and we are root on
 * a Debian-like system, it is installed that way, and the script says so.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeHtmlReport } from "../src/report/html.ts";
import { startServeChild } from "../src/server/child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "out-dir": { type: "string", default: "." },
    window: { type: "string", default: "1200,2400" },
  },
});
const outDir = resolve(values["out-dir"]!);
mkdirSync(outDir, { recursive: true });

function findChromium(): string {
  const found = ["chromium", "chromium-browser", "google-chrome"].map((name) => Bun.which(name)).find(Boolean);
  if (found) return found;
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) {
    throw new Error("chromium not found: install it (Debian: apt-get install -y chromium) and run again");
  }
  console.error("chromium not found: installing it with apt-get (Debian package chromium)");
  for (const command of [["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]]) {
    const result = Bun.spawnSync(command, { stdout: "inherit", stderr: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (result.exitCode !== 0) throw new Error(`${command.join(" ")} failed`);
  }
  return Bun.which("chromium")!;
}

async function withServer<T>(body: (url: string) => Promise<T>): Promise<T> {
  const server = await startServeChild([], [process.execPath, CLI]);
  try {
    return await body(server.url);
  } finally {
    await server.stop();
  }
}

function bench(args: string[], path: string): string {
  const result = Bun.spawnSync([process.execPath, CLI, "bench", ...args, "--out", path, "--quiet"], { stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) throw new Error(`bench ${args.join(" ")} exited ${result.exitCode}`);
  return path;
}

/** Small on purpose: the machine is shared, and a report needs a shape, not a record. */
async function makeDocuments(): Promise<string[]> {
  return withServer(async (url) => [
    bench(["closed", url, "-n", "20000", "-c", "20"], join(outDir, "closed.json")),
    bench(["open", url, "--rps", "2000", "-d", "3", "--warmup-sec", "1"], join(outDir, "open.json")),
  ]);
}

function screenshot(chromium: string, htmlPath: string, pngPath: string): void {
  const profile = mkdtempSync(join(tmpdir(), "minibench-chromium-"));
  try {
    // Everything that could reach the network is off: the report must render from the file alone.
    const flags = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
      `--user-data-dir=${profile}`, `--screenshot=${pngPath}`, `--window-size=${values.window}`, `file://${htmlPath}`,
    ];
    const result = Bun.spawnSync([chromium, ...flags], { stdout: "ignore", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`chromium exited ${result.exitCode}: ${result.stderr.toString().trim().split("\n").at(-1)}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const chromium = findChromium();
const documents = positionals.length > 0 ? positionals.map((path) => resolve(path)) : await makeDocuments();
for (const path of documents) {
  const name = basename(path).replace(/\.json$/, "");
  const htmlPath = join(outDir, `${name}.html`);
  const pngPath = join(outDir, `${name}.png`);
  writeHtmlReport(JSON.parse(readFileSync(path, "utf8")), htmlPath);
  screenshot(chromium, htmlPath, pngPath);
  console.error(`${pngPath} (${Math.round(statSync(pngPath).size / 1024)} KB)`);
}
