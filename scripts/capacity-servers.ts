#!/usr/bin/env bun
/**
 * `bench capacity` against real servers on loopback, one after the other: `minibench serve` and
 * nginx (started with a temp config on a free port, when `nginx` is installed). Prints each run's
 * probes table and capacity as the CLI does, and writes each result document into --out-dir.
 *
 *   bun scripts/capacity-servers.ts [--slo-p99 10] [--probe 10s] [--confirm 30s] [--runs 1] [--out-dir .]
 *
 * On a 2-core machine the generator and the server share the cores, so the capacity found is that
 * of the pair; take the figures on a quiet host.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startServeChild } from "../src/server/child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");

const { values } = parseArgs({
  options: {
    "slo-p99": { type: "string", default: "10" },
    probe: { type: "string", default: "10s" },
    confirm: { type: "string", default: "30s" },
    runs: { type: "string", default: "1" },
    "out-dir": { type: "string", default: "." },
  },
});
const outDir = resolve(values["out-dir"]!);
mkdirSync(outDir, { recursive: true });

async function capacity(name: string, url: string): Promise<number | null> {
  const found: (number | null)[] = [];
  for (let run = 1; run <= Number(values.runs); run++) {
    const out = join(outDir, `capacity-${name}-${run}.json`);
    const args = ["bench", "capacity", url, "--slo-p99", values["slo-p99"]!, "--probe", values.probe!, "--confirm", values.confirm!, "--out", out];
    console.log(`\n$ minibench ${args.join(" ")}`);
    const child = Bun.spawn([process.execPath, CLI, ...args], { stdout: "inherit", stderr: "inherit" });
    await child.exited;
    found.push((await Bun.file(out).json()).summary.capacity.capacityRps);
  }
  console.log(`${name}: capacity ${found.join(", ")} req/s over ${found.length} run(s)`);
  return found.at(-1) ?? null;
}

const serve = await startServeChild([], [process.execPath, CLI]);
try {
  await capacity("serve", serve.url);
} finally {
  await serve.stop();
}

if (Bun.which("nginx")) {
  const dir = mkdtempSync(join(tmpdir(), "minibench-nginx-"));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } } }
`,
  );
  const nginx = Bun.spawn(["nginx", "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "inherit" });
  try {
    for (let tries = 0; tries < 100; tries++) {
      const up = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
      if (up) break;
      await Bun.sleep(50);
    }
    await capacity("nginx", `http://127.0.0.1:${port}/`);
  } finally {
    nginx.kill();
    await nginx.exited;
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log("nginx is not installed: only minibench serve was measured");
}
