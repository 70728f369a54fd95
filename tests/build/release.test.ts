import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assetName, TARGETS, workerEntries } from "../../scripts/build.ts";
import { checkHeader, EXPECTED } from "../../scripts/check-binaries.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * The release as users meet it: the CI workflow that publishes it, the README lines that download
 * it, and the checks that the executables are what their names say. These must all agree on the
 * asset names, or a download line leads to a 404.
 */

const ROOT = join(import.meta.dir, "../..");
const BINARIES = TARGETS.map(assetName);
const DOWNLOAD_URL = "https://github.com/minibench/minibench/releases/latest/download/";

interface Step {
  name?: string;
  run?: string;
  if?: string;
}
interface Job {
  "runs-on": string;
  if?: string;
  needs?: string;
  strategy?: { matrix: { os: string[] } };
  permissions?: Record<string, string>;
  steps: Step[];
}
const workflow = Bun.YAML.parse(readFileSync(join(ROOT, ".github/workflows/ci.yml"), "utf8")) as {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
};
const runs = (job: Job) => job.steps.flatMap((step) => step.run ?? []);

describe("the CI workflow", () => {
  test("tests every push and pull request on Linux, macOS and Windows, installed with npm ci", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    // No filter under push: every branch and every tag.
    expect(workflow.on.push).toBeNull();
    const job = workflow.jobs.test!;
    expect(job["runs-on"]).toBe("${{ matrix.os }}");
    expect(job.strategy?.matrix.os).toEqual(["ubuntu-latest", "macos-latest", "windows-latest"]);
    expect(runs(job)).toContain("npm ci");
    expect(runs(job).some((run) => /^npm test$/m.test(run))).toBe(true);
  });

  test("the subset run outside Linux names test paths that exist", () => {
    const subset = workflow.jobs.test!.steps.find((step) => step.if === "runner.os != 'Linux'")!;
    const paths = subset.run!.replace(/^npm test -- /, "").split(/\s+/);
    expect(paths).toContain("tests/build");
    for (const path of paths) expect(existsSync(join(ROOT, path))).toBe(true);
  });

  test("a v* tag builds every target, checks them, and publishes exactly them with SHA256SUMS", () => {
    const job = workflow.jobs.release!;
    expect(job.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    expect(job.needs).toBe("test");
    expect(job.permissions).toEqual({ contents: "write" });
    const commands = runs(job);
    const build = commands.indexOf("node_modules/.bin/bun scripts/build.ts --all");
    const check = commands.indexOf("node_modules/.bin/bun scripts/check-binaries.ts dist");
    const publish = commands.findIndex((run) => run.startsWith("gh release create "));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(check).toBeGreaterThan(build);
    expect(publish).toBeGreaterThan(check);
    const files = commands[publish]!.split(/\s+/).filter((word) => word.startsWith("dist/"));
    expect(files).toEqual([...BINARIES, "SHA256SUMS"].map((file) => `dist/${file}`));
  });
});

describe("the README's Install section", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Install\n");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end);

  test("comes first, before the quick start", () => {
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(0, start)).not.toContain("\n## ");
    expect(readme.slice(end, end + 16)).toBe("\n## Quick start\n");
  });

  test("downloads only published assets, one command per OS, each checked against SHA256SUMS", () => {
    const urls = [...section.matchAll(/https:\/\/\S+/g)].map((match) => match[0]);
    // `…/download/{a,b}` is expanded by the shell (or curl): one URL per name.
    const assets = urls.flatMap((url) => {
      expect(url.startsWith(DOWNLOAD_URL)).toBe(true);
      const name = url.slice(DOWNLOAD_URL.length);
      return name.startsWith("{") ? name.slice(1, -1).split(",") : [name];
    });
    for (const asset of assets) expect([...BINARIES, "SHA256SUMS"]).toContain(asset);
    expect(new Set(assets)).toEqual(new Set(["minibench-linux-x64", "minibench-darwin-arm64", "minibench-windows-x64.exe", "SHA256SUMS"]));
    expect(section).toContain("sha256sum -c");
    expect(section).toContain("shasum -a 256 -c");
    expect(section).toContain("Get-FileHash minibench-windows-x64.exe");
  });

  test("names every published executable, and nothing else", () => {
    const named = new Set(section.match(/minibench-[\w.-]*\w/g));
    expect([...named].sort()).toEqual([...BINARIES].sort());
  });
});

describe("check-binaries", () => {
  test("knows the expected format of every target", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(TARGETS.map((target) => target.name).sort());
  });

  const elf = (machine: number, loader: string) => {
    const bytes = Buffer.alloc(256);
    bytes.write("\x7fELF", 0, "latin1");
    bytes[4] = 2; // 64-bit
    bytes[5] = 1; // little-endian
    bytes.writeUInt16LE(machine, 18);
    bytes.write(loader, 128, "latin1");
    return bytes;
  };
  const macho = (cpu: number, commands: number[]) => {
    const bytes = Buffer.alloc(32 + 16 * commands.length);
    bytes.writeUInt32LE(0xfeedfacf, 0);
    bytes.writeUInt32LE(cpu, 4);
    bytes.writeUInt32LE(commands.length, 16);
    commands.forEach((command, i) => {
      bytes.writeUInt32LE(command, 32 + 16 * i);
      bytes.writeUInt32LE(16, 36 + 16 * i);
    });
    return bytes;
  };
  const pe = (machine: number) => {
    const bytes = Buffer.alloc(256);
    bytes.write("MZ", 0, "latin1");
    bytes.writeUInt32LE(128, 0x3c);
    bytes.write("PE\0\0", 128, "latin1");
    bytes.writeUInt16LE(machine, 132);
    return bytes;
  };

  test("accepts each format for its CPU and refuses the others", () => {
    const x64 = elf(0x3e, "/lib64/ld-linux-x86-64.so.2");
    expect(checkHeader(x64, EXPECTED["linux-x64"]!)).toBeNull();
    expect(checkHeader(x64, EXPECTED["linux-arm64"]!)).toBe("ELF e_machine 0x3e, expected 0xb7");
    expect(checkHeader(x64, EXPECTED["linux-x64-musl"]!)).toBe("no /lib/ld-musl-x86_64.so.1 interpreter");
    expect(checkHeader(elf(0xb7, "/lib/ld-linux-aarch64.so.1"), EXPECTED["linux-arm64"]!)).toBeNull();
    expect(checkHeader(macho(0x0100000c, [0x19, 0x1d]), EXPECTED["darwin-arm64"]!)).toBeNull();
    expect(checkHeader(macho(0x0100000c, [0x19]), EXPECTED["darwin-arm64"]!)).toBe("Mach-O without a code signature");
    expect(checkHeader(macho(0x01000007, [0x1d]), EXPECTED["darwin-arm64"]!)).toBe("Mach-O cputype 0x1000007, expected 0x100000c");
    expect(checkHeader(pe(0x8664), EXPECTED["windows-x64"]!)).toBeNull();
    expect(checkHeader(pe(0xaa64), EXPECTED["windows-x64"]!)).toBe("PE machine 0xaa64, expected 0x8664");
    expect(checkHeader(x64, EXPECTED["windows-x64"]!)).toBe("not an MZ/PE file");
    expect(checkHeader(pe(0x8664), EXPECTED["darwin-x64"]!)).toBe("not a 64-bit Mach-O file");
  });
});

describe("Worker entry points", () => {
  const sources = (files: Record<string, string>) => {
    const dir = tempDir("src");
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  test("every file src/ starts as a Worker is found", () => {
    const found = workerEntries().map((path) => path.slice(ROOT.length + 1).replaceAll("\\", "/"));
    expect(found).toEqual(["src/schedule/thread-worker.ts", "src/schedule/waker-worker.ts", "src/server/worker.ts"]);
  });

  test("a Worker the binary could not find fails the build, not the user", () => {
    const plainPath = sources({ "a.ts": `new Worker("./w.ts");` });
    expect(() => workerEntries(plainPath)).toThrow("a.ts: load Workers as new Worker(new URL(");
    const sameName = sources({
      "a/x.ts": `new Worker(new URL("./worker.ts", import.meta.url));`,
      "b/y.ts": `new Worker(new URL("./worker.ts", import.meta.url));`,
    });
    expect(() => workerEntries(sameName)).toThrow("two Worker files named worker.ts");
  });
});
