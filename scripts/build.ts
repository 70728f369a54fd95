#!/usr/bin/env bun
/**
 * Builds minibench into standalone executables.
 *
 *   bun scripts/build.ts [--all] [--outdir DIR]
 *
 * The host executable by default, every release target with `--all`, named
 * `minibench-<os>-<arch>[-variant][.exe]` in DIR (default `dist/`), with a `SHA256SUMS` file in
 * `sha256sum` format beside them. The version comes from package.json (bundled through
 * `src/version.ts`); the git commit is embedded with `define`, so `--version` says `0.1.0 (abc1234)`.
 * Targets are built one after the other: each takes a core for a second or two.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = join(ROOT, "src/cli.ts");

export interface Target {
  /** The suffix of the asset name: `minibench-<name>`. */
  name: string;
  bunTarget: Bun.Build.CompileTarget;
}

export const TARGETS: Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64" },
  // For x86-64 CPUs without AVX2 (older servers, some virtual machines).
  { name: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline" },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64" },
  // For musl distributions (Alpine).
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl" },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64" },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64" },
  { name: "windows-x64", bunTarget: "bun-windows-x64" },
];

export const assetName = (target: Pick<Target, "name">) =>
  `minibench-${target.name}${target.name.startsWith("windows-") ? ".exe" : ""}`;

/** The host's asset name; its executable is built from the running Bun, so it surely runs here. */
export function hostTargetName(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

const WORKER_CALL = /new Worker\(/g;
const WORKER_URL = /new Worker\(\s*new URL\(\s*["']\.\/([\w.-]+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Every Worker file, found in the sources. Each must be an extra entry point of the executable.
 * Inside it, `import.meta.url` is the main entry's, at the root of the embedded file system, so
 * `new URL("./x.ts", import.meta.url)` looks for `x` at the root whichever folder the caller is
 * in: the build therefore puts every entry point at the root, which needs distinct file names and
 * a plain `./name.ts` in each call. Anything else would only fail at run time inside the binary.
 */
export function workerEntries(srcDir = join(ROOT, "src")): string[] {
  const byName = new Map<string, string>();
  for (const file of readdirSync(srcDir, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts")) continue;
    const path = join(srcDir, file);
    const source = readFileSync(path, "utf8");
    const calls = source.match(WORKER_CALL)?.length ?? 0;
    const names = [...source.matchAll(WORKER_URL)].map((match) => match[1]!);
    if (names.length !== calls) {
      throw new Error(`${relative(ROOT, path)}: load Workers as new Worker(new URL("./name.ts", import.meta.url)), a file beside the caller`);
    }
    for (const name of names) {
      const worker = join(path, "..", name);
      const seen = byName.get(name);
      if (seen !== undefined && seen !== worker) throw new Error(`two Worker files named ${name}: ${relative(ROOT, seen)}, ${relative(ROOT, worker)}`);
      byName.set(name, worker);
    }
  }
  return [...byName.values()].sort();
}

function gitCommit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short=7", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  return git.success ? git.stdout.toString().trim() : "";
}

/** Builds one executable; `bunTarget` undefined means the running Bun's own platform. */
async function compile(outfile: string, bunTarget: Bun.Build.CompileTarget | undefined, commit: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [ENTRY, ...workerEntries()],
    target: "bun",
    format: "esm", // bytecode without ESM breaks consola
    minify: true,
    bytecode: true, // halves start-up
    naming: "[name].[ext]", // every entry at the root: see workerEntries
    define: {
      MINIBENCH_COMMIT: JSON.stringify(commit),
      // Bun inlines the builder's NODE_ENV otherwise ("development" when unset): a build run
      // under `bun test` would ship a binary whose logger believes it is under test, and silent.
      "process.env.NODE_ENV": JSON.stringify("production"),
    },
    compile: {
      ...(bunTarget && { target: bunTarget }),
      outfile,
      // A load generator run from a project directory must not pick up that project's .env or
      // bunfig.toml (and not looking for them saves start-up time).
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  if (!result.success) throw new AggregateError(result.logs, `building ${basename(outfile)} failed`);
}

async function sha256(path: string): Promise<string> {
  return new Bun.CryptoHasher("sha256").update(await Bun.file(path).arrayBuffer()).digest("hex");
}

export async function build(options: { all: boolean; outDir: string }): Promise<string[]> {
  mkdirSync(options.outDir, { recursive: true });
  const commit = gitCommit();
  const targets = options.all ? TARGETS : [{ name: hostTargetName(), bunTarget: undefined }];
  const files: string[] = [];
  for (const target of targets) {
    const file = assetName(target);
    const startedMs = performance.now();
    await compile(join(options.outDir, file), target.bunTarget, commit);
    const sizeMb = Bun.file(join(options.outDir, file)).size / 1e6;
    console.error(`${file}  ${sizeMb.toFixed(1)} MB  ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
    files.push(file);
  }
  const sums = await Promise.all(files.map(async (file) => `${await sha256(join(options.outDir, file))}  ${file}\n`));
  writeFileSync(join(options.outDir, "SHA256SUMS"), sums.join(""));
  return files;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { all: { type: "boolean", default: false }, outdir: { type: "string", default: join(ROOT, "dist") } },
  });
  await build({ all: values.all!, outDir: resolve(values.outdir!) });
}
