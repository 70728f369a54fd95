#!/usr/bin/env bun
/**
 * Renders result documents as HTML reports and photographs them with headless Chromium, to see
 * what a reader sees (and for the README picture).
 *
 *   bun scripts/screenshot-report.ts [RESULT.json …] [--out-dir DIR] [--window 1200,2400] [--check]
 *
 * Each RESULT.json becomes DIR/<name>.html and DIR/<name>.png. With no document given, a short
 * closed and a short open benchmark run against a spawned `minibench serve` to make two (with
 * `--interval`, so they have charts over time).
 *
 * With `--check`, each report with charts over time is also driven as a reader would, through the
 * browser's DevTools protocol on loopback: the pointer rests on the first such chart (the legend
 * must show values), drags across its middle third (the time axis must zoom to that range), and
 * double-clicks (it must zoom back out). Any of these failing exits 1.
 * Chromium comes from Debian (`apt-get install chromium`); when it is missing and we are root on
 * a Debian-like system, it is installed that way, and the script says so.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
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
    check: { type: "boolean", default: false },
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
    bench(["closed", url, "-n", "20000", "-c", "20", "--interval", "0.2"], join(outDir, "closed.json")),
    bench(["open", url, "--rps", "2000", "-d", "3", "--warmup-sec", "1", "--interval", "0.25"], join(outDir, "open.json")),
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

/** One DevTools protocol session with the page at `url` in a headless Chromium: commands in, results out. */
async function withPage<T>(chromium: string, url: string, body: (send: (method: string, params?: object) => Promise<any>) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "minibench-chromium-"));
  const [width, height] = values.window!.split(",");
  const browser = Bun.spawn(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--force-device-scale-factor=1",
      `--window-size=${width},${height}`, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", `--user-data-dir=${profile}`, url],
    { stdout: "ignore", stderr: "ignore" },
  );
  try {
    const portFile = join(profile, "DevToolsActivePort");
    const deadline = Date.now() + 20_000;
    while (!existsSync(portFile) || readFileSync(portFile, "utf8").split("\n").length < 2) {
      if (Date.now() > deadline) throw new Error("chromium did not open its DevTools port");
      await Bun.sleep(100);
    }
    const port = readFileSync(portFile, "utf8").split("\n")[0];
    let pages: { type: string; webSocketDebuggerUrl: string }[] = [];
    while (!pages.some((page) => page.type === "page")) {
      if (Date.now() > deadline) throw new Error("chromium opened no page");
      pages = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as typeof pages;
      await Bun.sleep(100);
    }
    const socket = new WebSocket(pages.find((page) => page.type === "page")!.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)));
    const waiting = new Map<number, (message: any) => void>();
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      waiting.get(message.id)?.(message);
    };
    let id = 0;
    const send = (method: string, params: object = {}) =>
      new Promise<any>((resolve, reject) => {
        waiting.set(++id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result)));
        socket.send(JSON.stringify({ id, method, params }));
      });
    try {
      return await body(send);
    } finally {
      socket.close();
    }
  } finally {
    browser.kill();
    await browser.exited;
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Hover, drag-to-zoom and double-click on the first chart over time of the report at `htmlPath`; the lines to print, or throws. */
async function checkInteractive(chromium: string, htmlPath: string): Promise<string[]> {
  return withPage(chromium, `file://${htmlPath}`, async (send) => {
    const evaluate = async (expression: string) => (await send("Runtime.evaluate", { expression, returnByValue: true })).result.value;
    const deadline = Date.now() + 10_000;
    while (!(await evaluate(`!!document.querySelector("figure[data-time-chart]")?.timeChart`))) {
      if (Date.now() > deadline) throw new Error("no interactive chart over time appeared (did the script run?)");
      await Bun.sleep(100);
    }
    const chart = `document.querySelector("figure[data-time-chart]").timeChart`;
    const xRange = async () => (await evaluate(`[${chart}.scales.x.min, ${chart}.scales.x.max]`)) as [number, number];
    const box = (await evaluate(`(() => { ${chart}.root.scrollIntoView({ block: "center" }); const r = ${chart}.over.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)) as number[];
    const [left, top, width, height] = box as [number, number, number, number];
    const mouse = (type: string, x: number, clickCount = 1) =>
      send("Input.dispatchMouseEvent", { type, x, y: top + height / 2, button: "left", buttons: type === "mouseReleased" ? 0 : 1, clickCount });
    const full = await xRange();
    await send("Input.dispatchMouseEvent", { type: "mouseMoved", x: left + width / 2, y: top + height / 2 });
    const legend = (await evaluate(`[...${chart}.root.querySelectorAll(".u-legend .u-value")].map((e) => e.textContent)`)) as string[];
    if (!legend.some((text, i) => i > 0 && /\d/.test(text))) throw new Error(`hovering shows no values in the legend: ${JSON.stringify(legend)}`);
    await mouse("mousePressed", left + width / 3);
    for (let step = 1; step <= 10; step++) await mouse("mouseMoved", left + width / 3 + (step * width) / 30);
    await mouse("mouseReleased", left + (2 * width) / 3);
    const zoomed = await xRange();
    const span = full[1] - full[0];
    const expected = [full[0] + span / 3, full[0] + (2 * span) / 3];
    if (!(Math.abs(zoomed[0] - expected[0]!) < span * 0.05 && Math.abs(zoomed[1] - expected[1]!) < span * 0.05)) {
      throw new Error(`dragging over the middle third zoomed to ${zoomed.join("–")} s, not about ${expected.join("–")} s`);
    }
    await mouse("mousePressed", left + width / 2, 2);
    await mouse("mouseReleased", left + width / 2, 2);
    const reset = await xRange();
    if (reset[0] !== full[0] || reset[1] !== full[1]) throw new Error(`double-clicking left the time axis at ${reset.join("–")} s, not ${full.join("–")} s`);
    const s = (range: number[]) => range.map((v) => v.toFixed(2)).join("–");
    return [`hover: legend ${legend.join(" | ")}`, `drag over the middle third: ${s(full)} s → ${s(zoomed)} s`, `double-click: back to ${s(reset)} s`];
  });
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
  if (values.check && readFileSync(htmlPath, "utf8").includes("data-time-chart")) {
    for (const line of await checkInteractive(chromium, htmlPath)) console.error(`  ${line}`);
  }
}
