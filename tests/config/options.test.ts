import { describe, expect, test } from "bun:test";
import { BENCH_MODES, BENCH_OPTIONS } from "../../src/config/bench-options.ts";
import { count, countList, flag, optionFor, optionsOf, resolveOptions, seconds, type OptionTable } from "../../src/config/options.ts";
import { SERVE_OPTIONS } from "../../src/config/serve-plan.ts";
import { UsageError } from "../../src/errors.ts";

const tables: [string, OptionTable, readonly string[]][] = [
  ["bench", BENCH_OPTIONS, BENCH_MODES],
  ["serve", SERVE_OPTIONS, ["serve"]],
];

describe.each(tables)("the %s option table", (_, table, modes) => {
  test("every default is a value its own kind accepts", () => {
    for (const [key, option] of Object.entries(table)) {
      if (option.default === undefined) continue;
      const shown = option.kind.show(option.default);
      // What help shows, given back as a flag, is the default itself.
      expect(option.kind.parse(option.kind.hint === "" ? option.default : shown, `--${key}`)).toEqual(option.default);
    }
  });

  test.each([...modes])("in %s, each flag and each short form names one option", (mode) => {
    const names = optionsOf(table, mode).flatMap(([key, option]) => (option.positional ? [] : [option.flag ?? key, ...(option.alias ? [option.alias] : [])]));
    expect(names.length).toBe(new Set(names).size);
  });

  test("config keys are unique", () => {
    const keys = Object.values(table).flatMap((option) => (option.config ? [option.config] : []));
    expect(keys.length).toBe(new Set(keys).size);
  });
});

describe("resolveOptions", () => {
  const option = optionFor<"a" | "b">();
  const table = {
    n: option(count(), { modes: ["a", "b"], default: 3, config: "n", help: "N" }),
    d: option(seconds(), { modes: ["a"], help: "D" }),
    r: option(count(), { modes: ["b"], required: true, help: "Rate" }),
    on: option(flag, { modes: ["a"], default: true, help: "On" }),
    list: option(countList(), { modes: ["a"], flag: "the-list", default: [1, 2], help: "L" }),
  } as const;

  test("the command line, then the file, then the default; a mode sees only its own options", () => {
    expect(resolveOptions(table, "a", {})).toEqual({ n: 3, d: null, on: true, list: [1, 2] });
    expect(resolveOptions(table, "a", {}, { n: 7 })).toEqual({ n: 7, d: null, on: true, list: [1, 2] });
    expect(resolveOptions(table, "a", { n: "9", d: "500ms", on: false, "the-list": "4,5" }, { n: 7 })).toEqual({ n: 9, d: 0.5, on: false, list: [4, 5] });
    expect(resolveOptions(table, "b", { r: "2k" })).toEqual({ n: 3, r: 2000 });
  });

  test("a required option missing, and a bad value, name the flag", () => {
    expect(() => resolveOptions(table, "b", {})).toThrow(new UsageError("--r is required: rate"));
    expect(() => resolveOptions(table, "a", { "the-list": "1,0" })).toThrow('--the-list: expected a positive integer, got "0"');
  });

  test("kinds read JSON values as well as flag text", () => {
    expect(count().parse(5, "x")).toBe(5);
    expect(count().parse("5k", "x")).toBe(5000);
    expect(() => count().parse(true, "defaults.n")).toThrow("defaults.n: expected a positive integer, got true");
    expect(() => count().parse(1.5, "defaults.n")).toThrow("defaults.n: expected a positive integer, got 1.5");
    expect(countList().parse([1, 2], "x")).toEqual([1, 2]);
    expect(() => countList().parse([], "defaults.l")).toThrow("defaults.l: expected a non-empty list of integers, got []");
    expect(() => flag.parse("yes", "defaults.f")).toThrow('defaults.f: expected true or false, got "yes"');
  });
});
