import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/commands/main.ts";
import type { Command } from "../../src/commands/args.ts";
import { BUILT_IN_PRESETS, parseConfig } from "../../src/config/bench-config.ts";
import { benchPlan } from "../../src/config/bench-plan.ts";
import { DEFAULT_BACKLOG_S, defaultBacklog } from "../../src/config/plan.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";

/** The command-line surface end to end: help, typos, and values refused before anything starts. */

const dir = tempDir("cli");

/** Every command's words: [], ["serve"], ["bench"], ["bench", "closed"], … */
async function commandPaths(command: Command, path: string[] = []): Promise<string[][]> {
  const subCommands = ((await command.subCommands) ?? {}) as Record<string, Command>;
  const below = await Promise.all(Object.entries(subCommands).map(([name, sub]) => commandPaths(sub, [...path, name])));
  return [path, ...below.flat()];
}

/** The help text of each flag, joined across its wrapped lines: "--requests" → "Requests per repeat (default: 5000)". */
function helpEntries(help: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | null = null;
  for (const line of help.split("\n")) {
    const start = /^ {2}(?:-\w, )? *(--[\w-]+)(?: \S+)?(?: {2,}(.*))?$/.exec(line);
    if (start) {
      current = start[1]!;
      entries.set(current, start[2] ?? "");
    } else if (current !== null && /^ {6,}\S/.test(line)) {
      entries.set(current, `${entries.get(current)} ${line.trim()}`.trim());
    } else current = null;
  }
  return entries;
}

describe("--help", async () => {
  const paths = await commandPaths(main);

  test("there is help for every command", () => {
    expect(paths.map((path) => path.join(" "))).toEqual(["", "serve", "bench", "bench closed", "bench open", "bench sweep", "bench preset", "bench capacity", "report", "compare", "merge", "hlog"]);
  });

  test("every command's help fits 80 columns, with usage, a description and examples", async () => {
    const helps = await Promise.all(paths.map((path) => runCli([...path, "--help"])));
    paths.forEach((path, i) => {
      const { stdout, stderr, code } = helps[i]!;
      expect({ path, code, stderr }).toEqual({ path, code: 0, stderr: "" });
      expect({ path, tooWide: stdout.split("\n").filter((line) => line.length > 80) }).toEqual({ path, tooWide: [] });
      expect(stdout).toContain(`USAGE\n  ${["minibench", ...path].join(" ")}`);
      expect(stdout).toContain("EXAMPLES\n  minibench ");
      expect(stdout.split("\n")[0]!.length).toBeGreaterThan(10);
    });
  }, 30_000);

  test("a boolean that is on by default is shown once, as its --no- form", async () => {
    const { stdout } = await runCli(["bench", "closed", "--help"]);
    expect(stdout).toContain("--no-keepalive");
    expect(stdout).not.toMatch(/--keepalive\b/);
    expect(stdout).toContain("--no-progress");
    expect(stdout).not.toMatch(/--progress\b/);
    expect(stdout).toMatch(/^ {6}--insecure {2,}Accept any TLS certificate$/m);
  });

  test("required positionals in <…>, optional ones in […]", async () => {
    expect((await runCli(["compare", "--help"])).stdout).toContain("minibench compare <BASE.json> <NEW.json> [options]");
    expect((await runCli(["report", "--help"])).stdout).toContain("minibench report <RESULT.json> [options]");
    expect((await runCli(["bench", "open", "--help"])).stdout).toContain("minibench bench open [URL] [options]");
  });

  test("the defaults help shows are the defaults a plan gets", async () => {
    const config = parseConfig({ presets: BUILT_IN_PRESETS }, "built-in");
    const defaultIn = (entries: Map<string, string>, flag: string) => /\(default: ([^)]+)\)/.exec(entries.get(flag) ?? "")?.[1];

    const closed = helpEntries((await runCli(["bench", "closed", "--help"])).stdout);
    const closedPlan = benchPlan("closed", {}, config).plan;
    expect(defaultIn(closed, "--duration")).toBe(`${closedPlan.run.kind === "closed" && closedPlan.run.durationS}s without -n`);
    expect(defaultIn(closed, "--requests")).toBeUndefined();
    expect(defaultIn(closed, "--concurrency")).toBe(String(closedPlan.run.kind === "closed" && closedPlan.run.concurrency));
    expect(defaultIn(closed, "--timeout")).toBe(String(closedPlan.load.timeoutMs));
    expect(defaultIn(closed, "--pipeline")).toBe(String(closedPlan.load.pipeline));
    expect(defaultIn(closed, "--url")).toBe(closedPlan.load.target.url);

    const open = helpEntries((await runCli(["bench", "open", "--help"])).stdout);
    const openRun = benchPlan("open", { rps: "1" }, config).plan.run;
    if (openRun.kind !== "open") throw new Error("an open run was planned");
    expect(defaultIn(open, "--concurrency")).toBe(String(openRun.concurrency));
    expect(defaultIn(open, "--duration")).toBe(`${openRun.durationS}s`);
    expect(defaultIn(open, "--warmup-sec")).toBe(`${openRun.warmupS}s`);
    expect(defaultIn(open, "--backlog")).toBe(`${DEFAULT_BACKLOG_S} s of requests at --rps, at least --concurrency`);
    expect(openRun.backlog).toBe(defaultBacklog(openRun.rateRps, openRun.concurrency));
    expect(open.get("--rps")).toEndWith("(default: required; 0 with --stages)");

    const sweep = helpEntries((await runCli(["bench", "sweep", "--help"])).stdout);
    const sweepRun = benchPlan("sweep", {}, config).plan.run;
    if (sweepRun.kind !== "sweep") throw new Error("a sweep was planned");
    expect(defaultIn(sweep, "--requests")).toBe(String(sweepRun.requests));
    expect(defaultIn(sweep, "--concurrencies")).toBe(sweepRun.concurrencies.join(","));
    expect(defaultIn(sweep, "--min-duration")).toBe(`${sweepRun.minDurationS}s`);
  });
});

describe("typos", () => {
  const cases: [string[], string][] = [
    [["bench", "closed", "--concurency", "5"], "minibench: unknown option --concurency (did you mean --concurrency?)"],
    [["bench", "open", "--rsp", "5"], "minibench: unknown option --rsp (did you mean --rps?)"],
    [["bench", "closed", "--no-keepalvie"], "minibench: unknown option --no-keepalvie (did you mean --no-keepalive?)"],
    [["serve", "--prot", "8000"], "minibench: unknown option --prot (did you mean --port?)"],
    [["bench", "closd"], 'minibench: unknown command "closd" (did you mean closed?)'],
    [["comapre", "a.json", "b.json"], 'minibench: unknown command "comapre" (did you mean compare?)'],
    [["bench", "closed", "--zzzzzz"], "minibench: unknown option --zzzzzz (see --help)"],
    [["bench", "closed", "--rps", "100"], "minibench: unknown option --rps (an option of minibench bench open)"],
    [["bench", "open", "--concurrencies", "1,2"], "minibench: unknown option --concurrencies (an option of minibench bench sweep)"],
    [["bench", "open", "--warmup", "5"], "minibench: unknown option --warmup (did you mean --warmup-sec?)"],
    [["bench", "sweep", "--profile", "smoke"], "minibench: unknown option --profile (an option of minibench bench preset)"],
    [["bench", "frobnicate"], 'minibench: unknown command "frobnicate" (see --help)'],
  ];
  test.each(cases)("%j", async (args, message) => {
    const { stdout, stderr, code } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`${message}\n`);
  });
});

describe("values are refused before anything starts", () => {
  test("a bad defaults.pipeline in bench_config.json: exit 2 naming its JSON path", async () => {
    const cwd = join(dir, "bad-defaults");
    await Bun.write(join(cwd, "bench_config.json"), JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { pipeline: 0 } }));
    const { stdout, stderr, code } = await runCli(["bench", "closed", "http://127.0.0.1:9/"], { cwd });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("minibench: bench_config.json: defaults.pipeline: expected an integer from 1 to 1024, got 0\n");
    // The same value as a flag is reported as the flag.
    const flag = await runCli(["bench", "closed", "http://127.0.0.1:9/", "--pipeline", "0"]);
    expect(flag.stderr).toBe('minibench: --pipeline: expected an integer from 1 to 1024, got "0"\n');
  });

  /**
   * A preload (through the working directory's bunfig.toml, which Bun reads for every process it
   * starts there, the `--serve` child too) records each process's arguments: whether a child was
   * started is then a fact, not a guess from timing.
   */
  async function startedProcesses(args: string[]): Promise<{ code: number; stderr: string; started: string[] }> {
    const cwd = join(dir, `preload-${Math.random().toString(36).slice(2)}`);
    await Bun.write(join(cwd, "bunfig.toml"), 'preload = ["./record.ts"]\n');
    await Bun.write(
      join(cwd, "record.ts"),
      'import { appendFileSync } from "node:fs";\nappendFileSync(new URL("./started.log", import.meta.url).pathname, `${process.argv.slice(2).join(" ")}\\n`);\n',
    );
    const { code, stderr } = await runCli(args, { cwd });
    const log = join(cwd, "started.log");
    return { code, stderr, started: existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [] };
  }

  test("with --serve, a bad flag is refused before the child starts", async () => {
    const good = await startedProcesses(["bench", "closed", "--serve", "-n", "50", "-c", "2", "--repeat", "1", "--warmup", "0", "--quiet"]);
    expect(good.code).toBe(0);
    expect(good.started.filter((line) => line.startsWith("serve "))).toHaveLength(1);

    for (const bad of [["-c", "0"], ["--fail-error-rate", "7"], ["--profile", "nope"], ["--body-file", join(dir, "missing")], ["--out", "/proc/x.json"]]) {
      const mode = bad[0] === "--profile" ? "preset" : "closed";
      const { code, stderr, started } = await startedProcesses(["bench", mode, "--serve", ...bad]);
      expect(code).toBe(2);
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(stderr).toContain(bad[0] === "-c" ? "--concurrency" : bad[0]!);
      expect(started).toEqual([`bench ${mode} --serve ${bad.join(" ")}`]);
    }
  }, 30_000);

  test("with --serve, a bad value in the config file is refused before the child starts", async () => {
    const config = join(dir, "bad-timeout.json");
    writeFileSync(config, JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { timeout: -1 } }));
    const { code, stderr, started } = await startedProcesses(["bench", "open", "--serve", "--rps", "10", "--config", config]);
    expect(code).toBe(2);
    expect(stderr).toBe(`minibench: ${config}: defaults.timeout: expected a positive number of milliseconds, got -1\n`);
    expect(started).toHaveLength(1);
  }, 30_000);
});

describe("the command line keeps its shape", () => {
  test("flags before or after the mode, --config anywhere, -H repeatable, values after --", async () => {
    const config = join(dir, "shape.json");
    writeFileSync(config, JSON.stringify({ presets: BUILT_IN_PRESETS, defaults: { pipeline: 0 } }));
    // --config read wherever it stands: its bad value proves the file was read.
    for (const args of [
      ["bench", "--config", config, "closed"],
      ["bench", "closed", "--config", config],
      ["--config", config, "bench", "closed"],
      ["bench", `--config=${config}`, "closed"],
    ]) {
      const { code, stderr } = await runCli(args);
      expect(code).toBe(2);
      expect(stderr).toContain(`${config}: defaults.pipeline`);
    }
    const extra = await runCli(["bench", "closed", "http://127.0.0.1:9/", "--", "http://127.0.0.1:8/"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('minibench: unexpected argument "http://127.0.0.1:8/"\n');
    const missing = await runCli(["bench", "closed", "-c"]);
    expect(missing.stderr).toBe("minibench: -c needs a value\n");
    const valued = await runCli(["bench", "closed", "--insecure=yes"]);
    expect(valued.stderr).toBe("minibench: --insecure takes no value\n");
  }, 30_000);
});
