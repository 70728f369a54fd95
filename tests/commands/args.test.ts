import { describe, expect, test } from "bun:test";
import { argsOf, editDistance, parseArgv, suggestion } from "../../src/commands/args.ts";
import { BENCH_OPTIONS } from "../../src/config/bench-options.ts";
import { UsageError } from "../../src/errors.ts";

const closed = argsOf(BENCH_OPTIONS, "closed");

describe("parseArgv", () => {
  test("flags by their names and short forms, -H repeated in order, the positional by name", () => {
    const parsed = parseArgv(closed, ["-c", "5", "http://x/", "-H", "A: 1", "--header=B: 2", "--no-keepalive", "--duration=2s", "-H", "C: 3"]);
    expect(parsed).toEqual({ _: ["http://x/"], target: "http://x/", concurrency: "5", header: ["A: 1", "B: 2", "C: 3"], keepalive: false, duration: "2s" });
  });

  test("only what was given: defaults are the plan's to apply, after the config file's", () => {
    expect(parseArgv(closed, [])).toEqual({ _: [] });
  });

  test("a negative number is a value; after -- everything is positional", () => {
    expect(parseArgv(closed, ["-c", "-5"]).concurrency).toBe("-5");
    expect(parseArgv(closed, ["--", "--json"])).toEqual({ _: ["--json"], target: "--json" });
  });

  test("refusals", () => {
    const refused = (args: string[]) => {
      try {
        parseArgv(closed, args);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refused(["--concurency", "5"])).toBe("unknown option --concurency (did you mean --concurrency?)");
    expect(refused(["--timeout"])).toBe("--timeout needs a value");
    expect(refused(["--timeout", "--json"])).toBe("--timeout needs a value");
    expect(refused(["--json=1"])).toBe("--json takes no value");
    expect(refused(["http://a/", "http://b/"])).toBe('unexpected argument "http://b/"');
  });
});

describe("suggestions", () => {
  test("edit distance counts a swap of neighbours as one edit", () => {
    expect(editDistance("concurency", "concurrency")).toBe(1);
    expect(editDistance("pipleine", "pipeline")).toBe(1);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  test("the nearest name within reach, or the one name the word begins, or nothing", () => {
    const names = ["concurrency", "requests", "repeat", "warmup-sec", "rps"];
    expect(suggestion("concurency", names)).toBe(" (did you mean concurrency?)");
    expect(suggestion("repaet", names)).toBe(" (did you mean repeat?)");
    expect(suggestion("warmup", names)).toBe(" (did you mean warmup-sec?)");
    expect(suggestion("rsp", names)).toBe(" (did you mean rps?)");
    expect(suggestion("zzzzzz", names)).toBeNull();
    expect(suggestion("re", names)).toBeNull();
  });
});
