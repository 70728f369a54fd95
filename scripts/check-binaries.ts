#!/usr/bin/env bun
/**
 * Checks the release executables without running them (most are for other platforms).
 *
 *   bun scripts/check-binaries.ts [DIR]
 *
 * With no DIR, builds every target into `dist/` first (`scripts/build.ts --all`). For each target:
 * the file exists, its header is the right format for the right CPU (ELF x86-64 / aarch64 with
 * the glibc or musl loader, Mach-O 64 x86_64 / arm64, PE AMD64), it embeds every Worker entry
 * point, and SHA256SUMS lists exactly these files with their hashes. The one this machine can run
 * is also run: a `--script` workload loaded from disk at run time, against its own `serve`.
 * Exit 1 if anything is wrong.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { assetName, build, hostTargetName, TARGETS, workerEntries } from "./build.ts";

export type Format = { kind: "elf"; machine: number; loader: string } | { kind: "macho"; cpu: number } | { kind: "pe"; machine: number };

const ELF_X86_64 = 0x3e;
const ELF_AARCH64 = 0xb7;
const GLIBC_X64 = "/lib64/ld-linux-x86-64.so.2";
const MACHO_X86_64 = 0x01000007;
const MACHO_ARM64 = 0x0100000c;
const PE_AMD64 = 0x8664;

/** The header each release target must have. */
export const EXPECTED: Record<string, Format> = {
  "linux-x64": { kind: "elf", machine: ELF_X86_64, loader: GLIBC_X64 },
  "linux-x64-baseline": { kind: "elf", machine: ELF_X86_64, loader: GLIBC_X64 },
  "linux-arm64": { kind: "elf", machine: ELF_AARCH64, loader: "/lib/ld-linux-aarch64.so.1" },
  "linux-x64-musl": { kind: "elf", machine: ELF_X86_64, loader: "/lib/ld-musl-x86_64.so.1" },
  "darwin-x64": { kind: "macho", cpu: MACHO_X86_64 },
  "darwin-arm64": { kind: "macho", cpu: MACHO_ARM64 },
  "windows-x64": { kind: "pe", machine: PE_AMD64 },
};

const LC_CODE_SIGNATURE = 0x1d;

const hex = (n: number) => `0x${n.toString(16)}`;

/** The command types of a 64-bit Mach-O header's load commands (those within `bytes`). */
function machoLoadCommands(bytes: Buffer): number[] {
  const commands: number[] = [];
  let offset = 32; // the mach_header_64
  for (let i = bytes.readUInt32LE(16); i > 0 && offset + 8 <= bytes.length; i--) {
    commands.push(bytes.readUInt32LE(offset));
    offset += bytes.readUInt32LE(offset + 4);
  }
  return commands;
}

/** What is wrong with the header, or null. Reads only the first few KiB. */
export function checkHeader(bytes: Buffer, expected: Format): string | null {
  switch (expected.kind) {
    case "elf": {
      if (bytes.readUInt32BE(0) !== 0x7f454c46) return "not an ELF file";
      if (bytes[4] !== 2 || bytes[5] !== 1) return "not a 64-bit little-endian ELF file";
      const machine = bytes.readUInt16LE(18);
      if (machine !== expected.machine) return `ELF e_machine ${hex(machine)}, expected ${hex(expected.machine)}`;
      // The program interpreter tells glibc from musl builds.
      if (!bytes.includes(expected.loader)) return `no ${expected.loader} interpreter`;
      return null;
    }
    case "macho": {
      if (bytes.readUInt32LE(0) !== 0xfeedfacf) return "not a 64-bit Mach-O file";
      const cpu = bytes.readUInt32LE(4);
      if (cpu !== expected.cpu) return `Mach-O cputype ${hex(cpu)}, expected ${hex(expected.cpu)}`;
      // macOS on Apple silicon kills an unsigned executable at once; Bun signs it ad hoc.
      return machoLoadCommands(bytes).includes(LC_CODE_SIGNATURE) ? null : "Mach-O without a code signature";
    }
    case "pe": {
      if (bytes.toString("latin1", 0, 2) !== "MZ") return "not an MZ/PE file";
      const pe = bytes.readUInt32LE(0x3c);
      if (bytes.toString("latin1", pe, pe + 4) !== "PE\0\0") return "no PE signature";
      const machine = bytes.readUInt16LE(pe + 4);
      return machine === expected.machine ? null : `PE machine ${hex(machine)}, expected ${hex(expected.machine)}`;
    }
  }
}

/** Every problem found in DIR, one line each. */
export async function checkBinaries(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const sumsPath = join(dir, "SHA256SUMS");
  const sums = existsSync(sumsPath) ? readFileSync(sumsPath, "utf8") : "";
  if (!sums) problems.push("SHA256SUMS: missing");
  const listed = new Map<string, string>();
  for (const line of sums.split("\n").filter(Boolean)) {
    const match = /^([0-9a-f]{64}) [ *](\S+)$/.exec(line);
    if (match) listed.set(match[2]!, match[1]!);
    else problems.push(`SHA256SUMS: not in sha256sum format: ${JSON.stringify(line)}`);
  }
  // Inside the executable every entry point sits at the root of its embedded file system.
  const workers = workerEntries().map((path) => `/root/${basename(path, ".ts")}.js`);
  for (const target of TARGETS) {
    const file = assetName(target);
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push(`${file}: missing`);
      continue;
    }
    const before = problems.length;
    const bytes = Buffer.from(await Bun.file(path).arrayBuffer());
    const header = checkHeader(bytes.subarray(0, 4096), EXPECTED[target.name]!);
    if (header) problems.push(`${file}: ${header}`);
    for (const worker of workers) if (!bytes.includes(worker)) problems.push(`${file}: Worker entry point ${worker} not embedded`);
    const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    if (listed.get(file) !== sha256) problems.push(`${file}: SHA256SUMS says ${listed.get(file) ?? "nothing"}, file is ${sha256}`);
    listed.delete(file);
    console.error(`${problems.length > before ? "FAIL" : "ok  "}  ${file}`);
  }
  for (const extra of listed.keys()) problems.push(`SHA256SUMS: lists ${extra}, which is not a release target`);
  const host = TARGETS.find((target) => target.name === hostTargetName());
  if (host && existsSync(join(dir, assetName(host)))) {
    const problem = await checkScriptRun(join(dir, assetName(host)));
    if (problem) problems.push(`${assetName(host)}: ${problem}`);
    console.error(`${problem ? "FAIL" : "ok  "}  ${assetName(host)} runs a --script workload`);
  }
  return problems;
}

/**
 * The executable loads a TypeScript workload module from disk at run time (Bun's transpiler is
 * inside it), runs its targets() and pick(i), and sends what they say: 30 requests to its own
 * `serve`, all to the target pick(i) chose. What is wrong, or null.
 */
export async function checkScriptRun(binary: string): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "minibench-check-script-"));
  const server = Bun.spawn([binary, "serve", "--port", "0", "--quiet"], { stdout: "pipe", stderr: "ignore" });
  try {
    const reader = server.stdout.getReader();
    const line = new TextDecoder().decode((await reader.read()).value);
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1];
    if (port === undefined) return `serve printed ${JSON.stringify(line)}, not its address`;
    const script = join(dir, "workload.ts");
    writeFileSync(
      script,
      `interface Target { url: string; name: string }\n` +
        `export async function targets(): Promise<Target[]> {\n  return ["a", "b"].map((name) => ({ url: "http://127.0.0.1:${port}/" + name, name }));\n}\n` +
        `export const pick = (i: number): number => 1;\n`,
    );
    const run = Bun.spawnSync([binary, "bench", "closed", "--script", script, "-n", "30", "-c", "2", "--warmup", "0", "--repeat", "1", "--json", "--quiet"], { timeout: 30_000 });
    if (run.exitCode !== 0) return `bench --script exited ${run.exitCode}: ${run.stderr.toString().trim().split("\n").at(-1)}`;
    const result = JSON.parse(run.stdout.toString()).runs[0];
    const sent = JSON.stringify(result.byTarget?.map((target: { name: string; requests: number }) => [target.name, target.requests]));
    return sent === JSON.stringify([["a", 0], ["b", 30]]) ? null : `bench --script sent ${sent}, expected [["a",0],["b",30]]`;
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const given = process.argv[2];
  const dir = resolve(given ?? join(import.meta.dir, "../dist"));
  if (given === undefined) await build({ all: true, outDir: dir });
  const problems = await checkBinaries(dir);
  for (const problem of problems) console.error(`check-binaries: ${problem}`);
  console.error(problems.length ? `check-binaries: ${problems.length} problem(s)` : `check-binaries: ${TARGETS.length} executables ok`);
  process.exit(problems.length ? 1 : 0);
}
