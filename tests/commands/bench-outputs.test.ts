import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/** Results are never lost to a bad path, and an interrupted warm-up reports nothing as measured. */

let server: ServeProcess;
let url = "";
const dir = tempDir("outputs");

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
});

afterAll(() => {
  server.proc.kill();
});

describe("output paths are checked before any load", () => {
  test("--out /proc/x.json: exit 2 at once, naming the flag and the path, no temp file's name", async () => {
    const started = performance.now();
    const { code, stderr } = await runCli(["bench", "closed", url, "-d", "30", "--out", "/proc/x.json"]);
    expect(code).toBe(2);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(stderr).toContain("--out: cannot write /proc/x.json: no file can be created in /proc");
    expect(stderr).not.toContain(".tmp");
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  test("each file flag is checked: a missing directory is refused before the run", async () => {
    for (const flag of ["--out", "--csv", "--hgrm", "--report"]) {
      const path = join(dir, "no", "such", "dir", "file");
      const started = performance.now();
      const { code, stderr } = await runCli(["bench", "closed", url, "-d", "30", flag, path]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${flag}: cannot write ${path}: its directory does not exist`);
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });

  test("a directory given as a file is refused", async () => {
    const { code, stderr } = await runCli(["bench", "closed", url, "-d", "30", "--out", dir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--out: cannot write ${dir}: it is a directory`);
  });

  test("--out-dir is created as mkdir -p does, and the preset's CSV lands in it", async () => {
    const configPath = join(dir, "tiny.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        presets: {
          tiny: {
            closed: { concurrencies: [2], total_per_c: 200, warmup: 10, repeat: 1, min_duration_s: 0 },
            open: { duration: 0.3, warmup_sec: 0, concurrency: 10, levels: [0.1] },
          },
        },
      }),
    );
    const outDir = join(dir, "new", "nested", "dir");
    const { code } = await runCli(["bench", "preset", url, "--config", configPath, "--profile", "tiny", "--out-dir", outDir, "--quiet"]);
    expect(code).toBe(0);
    const files = readdirSync(outDir);
    expect(files.filter((name) => /^preset_tiny_\d{8}_\d{6}\.csv$/.test(name))).toHaveLength(1);
    expect(files.filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  test("--out-dir that is a file: exit 2 naming the flag", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const { code, stderr } = await runCli(["bench", "preset", url, "--profile", "smoke", "--out-dir", join(file, "sub")]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--out-dir: cannot create the directory ${join(file, "sub")}`);
    expect(readFileSync(file, "utf8")).toBe("x");
  });
});

describe("Ctrl-C during a warm-up", () => {
  test("open loop: says nothing was measured instead of printing a table of zeros; exit 130, no file", async () => {
    const out = join(dir, "warmup.json");
    const { code, stderr, stdout } = await runCli(["bench", "open", url, "--rps", "200", "-d", "5", "--warmup-sec", "20", "--json", "--out", out], {
      signalAfterMs: 1500,
    });
    expect(code).toBe(130);
    expect(stderr).toContain("interrupted during the warm-up: nothing measured");
    expect(stderr).not.toContain("achieved/s");
    expect(stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });
});
