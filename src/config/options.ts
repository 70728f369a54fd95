import { UsageError } from "../errors.ts";
import { parseCount, parseDurationS, parseMs, parseSize } from "../units.ts";

/**
 * Options declared once. A command's options are a table of entries (kind, default, help,
 * aliases, the modes that take it, its config-file key); the command-line flags, the config file's
 * validation, the typed values a plan is built from, and the help text are all derived from it.
 * A value is parsed by its kind wherever it came from, and every message names where that was:
 * `--pipeline: …` for a flag, `bench_config.json: defaults.pipeline: …` for the file.
 */

/** How one kind of value is read (from a flag's text or a config file's JSON value) and shown. */
export interface Kind<T> {
  /** The value's placeholder in help (`N`, `MS`, `URL`); empty for a boolean. */
  hint: string;
  /** Throws a UsageError that starts with `label`. */
  parse(input: unknown, label: string): T;
  /** A default as help shows it. */
  show(value: T): string;
}

export interface OptionSpec<T, M extends string> {
  help: string;
  /** The modes of the command that take this option. */
  modes: readonly M[];
  /** The flag's name when it is not the entry's key (two entries with different meanings in different modes). */
  flag?: string;
  /** A one-letter short form: `-c`. */
  alias?: string;
  /** The placeholder in help when the kind's own would say less. */
  hint?: string;
  /** A const table makes lists readonly; the value handed out is the same list. */
  default?: T | Readonly<T>;
  /** Help's words for a default that is not a constant (`--concurrency`). */
  defaultText?: string;
  required?: boolean;
  /** A positional argument rather than a flag. */
  positional?: boolean;
  /** May be given several times; the values are kept in order. */
  repeatable?: boolean;
  /** For a boolean that is on by default: what the `--no-` form does (help shows only that form). */
  negated?: string;
  /** The key under the config file's `defaults`, for the options a file may set. */
  config?: string;
  /** Help's section for it; options without one come first. */
  section?: string;
}

/** An entry of any table, its value's type left open: a table holds options of many types. */
export type Option = OptionSpec<any, string> & { kind: Kind<any> };
export type OptionTable = Readonly<Record<string, Option>>;

/** One entry of a table: its spec, with the kind that reads its values. */
export const optionFor =
  <M extends string>() =>
  <T, const S extends OptionSpec<T, M>>(kind: Kind<T>, spec: S): S & { kind: Kind<T> } => ({ ...spec, kind });

/** What an option's value is once resolved: a value when it has a default or is required, else possibly null. */
export type ValueOf<O> = O extends { kind: Kind<infer T> } ? (O extends { default: unknown } | { required: true } ? T : T | null) : never;

type ModesOf<O> = O extends { modes: readonly (infer M)[] } ? M : never;

/** The typed values of the options a mode takes; for a union of modes, of those every one of them takes. */
export type Values<Table, M> = { -readonly [K in keyof Table as [M] extends [ModesOf<Table[K]>] ? K : never]: ValueOf<Table[K]> };

export const flagName = (key: string, option: Option) => option.flag ?? key;

/** The entries of a table that a mode takes, keyed by their entry key. */
export function optionsOf(table: OptionTable, mode: string): [string, Option][] {
  return Object.entries(table).filter(([, option]) => option.modes.includes(mode));
}

/**
 * The values of a mode's options: the command line first, then the config file's defaults
 * (already parsed, by entry key), then the table's default. `given` holds what the command line
 * said, by flag name (positionals by their entry key).
 */
export function resolveOptions<const Table extends OptionTable, M extends string>(
  table: Table,
  mode: M,
  given: Readonly<Record<string, unknown>>,
  fromFile: Readonly<Record<string, unknown>> = {},
): Values<Table, M> {
  const values: Record<string, unknown> = {};
  for (const [key, option] of optionsOf(table, mode)) {
    const name = option.positional ? key : flagName(key, option);
    const raw = given[name];
    if (raw !== undefined) values[key] = option.kind.parse(raw, option.positional ? (option.hint ?? key) : `--${name}`);
    else if (key in fromFile) values[key] = fromFile[key];
    else if (option.default !== undefined) values[key] = option.default;
    else if (option.required) throw new UsageError(`--${name} is required: ${option.help.charAt(0).toLowerCase()}${option.help.slice(1)}`);
    else values[key] = null;
  }
  return values as Values<Table, M>;
}

// ---- Kinds -------------------------------------------------------------------------------------

const fail = (label: string, expected: string, input: unknown): never => {
  throw new UsageError(`${label}: expected ${expected}, got ${JSON.stringify(input)}`);
};

interface Range {
  min?: number;
  max?: number;
}

export const count = (range: Range = { min: 1 }, hint = "N"): Kind<number> => ({
  hint,
  parse: (input, label) => parseCount(label, input, range),
  show: String,
});

export const milliseconds = (range: Range = {}): Kind<number> => ({
  hint: "MS",
  parse: (input, label) => parseMs(label, input, range),
  show: String,
});

/** Seconds, with or without a unit: `15`, `15s`, `500ms`, `2m`. */
export const seconds = (range: Range = {}): Kind<number> => ({
  hint: "S",
  parse: (input, label) => parseDurationS(label, input, range),
  show: (value) => `${value}s`,
});

export const bytes = (range: Range = {}): Kind<number> => ({
  hint: "BYTES",
  parse: (input, label) => parseSize(label, input, range),
  show: String,
});

export const text = (hint: string): Kind<string> => ({
  hint,
  parse: (input, label) => (typeof input === "string" && input !== "" ? input : fail(label, "a non-empty string", input)),
  show: (value) => value,
});

export const flag: Kind<boolean> = {
  hint: "",
  parse: (input, label) => (typeof input === "boolean" ? input : fail(label, "true or false", input)),
  show: (value) => (value ? "on" : "off"),
};

export const choice = <const C extends string>(choices: readonly C[]): Kind<C> => ({
  hint: choices.join("|"),
  parse: (input, label) => (choices.includes(input as C) ? (input as C) : fail(label, choices.join(" or "), input)),
  show: (value) => value,
});

/** A fraction from 0 to 1. */
export const fraction: Kind<number> = {
  hint: "R",
  parse(input, label) {
    const value = typeof input === "number" ? input : typeof input === "string" && input.trim() !== "" ? Number(input) : Number.NaN;
    return value >= 0 && value <= 1 ? value : fail(label, "a fraction from 0 to 1", input);
  },
  show: String,
};

/** A share, as a percentage (`5%`) or a fraction (`0.05`), above 0 and below 1. */
export const percentage: Kind<number> = {
  hint: "PCT",
  parse(input, label) {
    const text = typeof input === "number" ? String(input) : typeof input === "string" ? input.trim() : "";
    const value = text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : text === "" ? Number.NaN : Number(text);
    return value > 0 && value < 1 ? value : fail(label, "a percentage such as 5% (or a fraction such as 0.05)", input);
  },
  show: (value) => `${Math.round(value * 1000) / 10}%`,
};

/** Comma-separated counts (`1,2,5`) on the command line, an array of them in a file. */
export const countList = (range: Range = { min: 1 }): Kind<number[]> => ({
  hint: "LIST",
  parse(input, label) {
    const items = typeof input === "string" ? input.split(",").map((item) => item.trim()) : input;
    if (!Array.isArray(items) || items.length === 0) return fail(label, "a non-empty list of integers", input);
    return items.map((item) => parseCount(label, item, range));
  },
  show: (value) => value.join(","),
});

/** A wall-clock time: ISO-8601 or epoch milliseconds; the value is epoch ms. */
export const wallClock: Kind<number> = {
  hint: "TIME",
  parse(input, label) {
    const epochMs = typeof input === "number" ? input : typeof input !== "string" ? Number.NaN : /^\d+$/.test(input) ? Number(input) : Date.parse(input);
    return Number.isFinite(epochMs) ? epochMs : fail(label, "an ISO-8601 time or epoch milliseconds", input);
  },
  show: String,
};

/** An `http://` or `https://` URL. */
export const httpUrl: Kind<string> = {
  hint: "URL",
  parse(input, label) {
    const parsed = typeof input === "string" && URL.canParse(input) ? new URL(input) : null;
    if (parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) return fail(label, "an http:// or https:// URL", input);
    return input as string;
  },
  show: (value) => value,
};

/** RFC 9110 token characters: a method or a field name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const method: Kind<string> = {
  hint: "METHOD",
  parse: (input, label) => (typeof input === "string" && TOKEN.test(input) ? input : fail(label, "an HTTP method (a token such as GET)", input)),
  show: (value) => value,
};

/** Request header fields, `Name: value` each; a flag gives one per use, a file an array. */
export const headerList: Kind<string[]> = {
  hint: '"NAME: VALUE"',
  parse(input, label) {
    const items = typeof input === "string" ? [input] : input;
    if (!Array.isArray(items)) return fail(label, 'a list of "Name: value" strings', input);
    for (const item of items) {
      const colon = typeof item === "string" ? item.indexOf(":") : -1;
      const valid = colon > 0 && TOKEN.test(item.slice(0, colon).trim()) && !/[\r\n]/.test(item.slice(colon + 1));
      if (!valid) fail(label, '"Name: value"', item);
    }
    return items as string[];
  },
  show: (value) => value.join(", "),
};
