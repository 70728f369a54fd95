import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError, UsageError } from "../errors.ts";
import { BENCH_OPTIONS } from "./bench-options.ts";
import type { Option, OptionTable } from "./options.ts";

/**
 * `bench_config.json`: the preset profiles and default options, loaded and validated in one
 * place. Every field is checked, unknown keys are refused (they are usually typos), and each
 * message names the file and the JSON path: `bench_config.json: presets.smoke.closed.concurrencies[2]:
 * expected a positive integer, got "x"`.
 */

export interface ClosedProfile {
  concurrencies: number[];
  totalPerC: number;
  /** Each calibration repeat measures at least this long: `total_per_c` alone can last milliseconds. */
  minDurationS: number;
  warmup: number;
  repeat: number;
}

export interface OpenProfile {
  durationS: number;
  warmupS: number;
  repeat: number;
  /** The open-loop cap; null means the largest calibration concurrency. */
  concurrency: number | null;
  /** Fractions of the calibrated capacity. */
  levels: number[];
}

export interface Profile {
  closed: ClosedProfile;
  open: OpenProfile;
  /** The p99 SLO (ms) of `--calibrate capacity`: the capacity is the highest open-loop rate within it. */
  sloP99Ms: number | null;
}

/**
 * The options a file's `defaults` set, parsed, by their key in the bench option table; a flag given
 * on the command line wins over them.
 */
export type ConfigDefaults = Readonly<Record<string, unknown>>;

export interface BenchConfig {
  /** Where it came from: a path, or "built-in profiles". */
  source: string;
  presets: Record<string, Profile>;
  defaults: ConfigDefaults;
}

export const DEFAULT_CONFIG_PATH = "bench_config.json";
export const DEFAULT_LEVELS = [0.5, 0.9, 1.1];
/** `min_duration_s` of a profile that does not set it. */
export const DEFAULT_MIN_DURATION_S = 1;

/** The three profiles of the original tool, used when no file exists. */
export const BUILT_IN_PRESETS = {
  smoke: {
    closed: { concurrencies: [1, 10, 50, 100], total_per_c: 1000, min_duration_s: 1, warmup: 200, repeat: 2 },
    open: { duration: 8.0, warmup_sec: 3.0 },
    slo_p99_ms: 50,
  },
  standard: {
    closed: { concurrencies: [1, 2, 5, 10, 20, 50, 100, 200, 400], total_per_c: 5000, min_duration_s: 2, warmup: 1000, repeat: 3 },
    open: { duration: 15.0, warmup_sec: 5.0 },
    slo_p99_ms: 25,
  },
  stress: {
    closed: { concurrencies: [100, 200, 400, 800, 1200], total_per_c: 15000, min_duration_s: 3, warmup: 2000, repeat: 3 },
    open: { duration: 25.0, warmup_sec: 8.0 },
    slo_p99_ms: 100,
  },
};

/**
 * Loads `path` (which must exist), or else `./bench_config.json` when present, or else the
 * built-in profiles.
 */
export function loadConfig(path: string | undefined): BenchConfig {
  if (path === undefined && !existsSync(DEFAULT_CONFIG_PATH)) {
    return parseConfig({ presets: BUILT_IN_PRESETS }, "built-in profiles");
  }
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConfigError(`${file}: cannot read the config file (${reason})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseConfig(json, file);
}

/** A reader of one JSON value that knows its path, for messages. */
class Field {
  constructor(
    readonly value: unknown,
    readonly path: string,
    private readonly file: string,
  ) {}

  fail(expected: string): never {
    const got = this.value === undefined ? "nothing" : JSON.stringify(this.value);
    throw new ConfigError(`${this.file}: ${this.path === "" ? "(top level)" : this.path}: expected ${expected}, got ${got}`);
  }

  /** The object's fields, refusing keys not in `allowed`. */
  object(allowed: readonly string[] | null): Record<string, Field> {
    if (this.value === null || typeof this.value !== "object" || Array.isArray(this.value)) this.fail("an object");
    const fields: Record<string, Field> = {};
    for (const [key, value] of Object.entries(this.value)) {
      const path = this.path === "" ? key : `${this.path}.${key}`;
      if (allowed !== null && !allowed.includes(key)) {
        throw new ConfigError(`${this.file}: ${path}: unknown key (expected one of ${allowed.join(", ")})`);
      }
      fields[key] = new Field(value, path, this.file);
    }
    return fields;
  }

  array(): Field[] {
    if (!Array.isArray(this.value)) this.fail("an array");
    return this.value.map((value, i) => new Field(value, `${this.path}[${i}]`, this.file));
  }

  integer(min: number): number {
    const value = this.value;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      this.fail(min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`);
    }
    return value;
  }

  number(min: number, exclusive: boolean): number {
    const value = this.value;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || (exclusive && value === min)) {
      this.fail(exclusive && min === 0 ? "a positive number" : `a number ≥ ${min}`);
    }
    return value;
  }

  string(): string {
    if (typeof this.value !== "string" || this.value === "") this.fail("a non-empty string");
    return this.value;
  }

  boolean(): boolean {
    if (typeof this.value !== "boolean") this.fail("true or false");
    return this.value;
  }
}

function nonEmpty(field: Field): Field[] {
  const items = field.array();
  if (items.length === 0) field.fail("a non-empty array");
  return items;
}

export function parseConfig(json: unknown, file: string): BenchConfig {
  const root = new Field(json, "", file);
  const top = root.object(["presets", "defaults"]);
  const presetsField = top.presets ?? new Field(undefined, "presets", file);
  const presets: Record<string, Profile> = {};
  for (const [name, field] of Object.entries(presetsField.object(null))) presets[name] = parseProfile(field, file);
  if (Object.keys(presets).length === 0) presetsField.fail("at least one profile");
  return { source: file, presets, defaults: top.defaults ? parseDefaults(top.defaults, file) : {} };
}

function missing(file: string, parent: Field, key: string): never {
  throw new ConfigError(`${file}: ${parent.path}.${key}: missing (required)`);
}

function parseProfile(field: Field, file: string): Profile {
  const profile = field.object(["closed", "open", "slo_p99_ms"]);
  const closedField = profile.closed ?? missing(file, field, "closed");
  const openField = profile.open ?? missing(file, field, "open");

  const closed = closedField.object(["concurrencies", "total_per_c", "min_duration_s", "warmup", "repeat"]);
  const open = openField.object(["duration", "warmup_sec", "repeat", "concurrency", "levels"]);
  const get = (fields: Record<string, Field>, parent: Field, key: string) => fields[key] ?? missing(file, parent, key);
  return {
    closed: {
      concurrencies: nonEmpty(get(closed, closedField, "concurrencies")).map((item) => item.integer(1)),
      totalPerC: get(closed, closedField, "total_per_c").integer(1),
      minDurationS: closed.min_duration_s ? closed.min_duration_s.number(0, false) : DEFAULT_MIN_DURATION_S,
      warmup: get(closed, closedField, "warmup").integer(0),
      repeat: get(closed, closedField, "repeat").integer(1),
    },
    open: {
      durationS: get(open, openField, "duration").number(0, true),
      warmupS: get(open, openField, "warmup_sec").number(0, false),
      repeat: open.repeat ? open.repeat.integer(1) : 1,
      concurrency: open.concurrency ? open.concurrency.integer(1) : null,
      levels: open.levels ? nonEmpty(open.levels).map((item) => item.number(0, true)) : DEFAULT_LEVELS,
    },
    sloP99Ms: profile.slo_p99_ms ? profile.slo_p99_ms.number(0, true) : null,
  };
}

/** The options with a config key, by that key. */
const SETTABLE = new Map<string, { key: string; option: Option }>(
  Object.entries(BENCH_OPTIONS as OptionTable).flatMap(([key, option]) => (option.config ? [[option.config, { key, option }]] : [])),
);

/** `defaults`: each value read by its option's kind, each message naming its JSON path. */
function parseDefaults(field: Field, file: string): ConfigDefaults {
  const defaults: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(field.object([...SETTABLE.keys()]))) {
    const { key, option } = SETTABLE.get(name)!;
    try {
      defaults[key] = option.kind.parse(value.value, `${file}: ${value.path}`);
    } catch (error) {
      throw error instanceof UsageError ? new ConfigError(error.message) : error;
    }
    if (FILE_KEYS.has(name)) defaults[key] = besideConfig(file, defaults[key] as string);
  }
  return defaults;
}

/** `defaults` keys naming a file the run reads: relative to the config file, as a config names its neighbours. */
const FILE_KEYS = new Set(["script", "targets"]);

/** `path` relative to the config file's directory (stdin's `-` stays as it is). */
function besideConfig(file: string, path: string): string {
  return path === "-" || isAbsolute(path) ? path : join(dirname(file), path);
}
