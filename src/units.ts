import { UsageError } from "./errors.ts";

/**
 * Human units in and out, in one place: counts (`5k`), sizes (`16k` = 16 KiB), durations (`10s`,
 * `500ms`), milliseconds. Parsers take the name of where the value came from (a flag, or a config
 * file's JSON path) so that every message names it, and accept the text of a flag or a JSON number.
 */

interface Range {
  min?: number;
  max?: number;
}

const COUNT_SUFFIX: Record<string, number> = { "": 1, k: 1e3, m: 1e6 };
const SIZE_SUFFIX: Record<string, number> = { "": 1, k: 1024, kb: 1024, kib: 1024, m: 1 << 20, mb: 1 << 20, mib: 1 << 20, g: 1 << 30, gb: 1 << 30, gib: 1 << 30 };
const DURATION_SUFFIX_S: Record<string, number> = { "": 1, ms: 1e-3, s: 1, m: 60, h: 3600 };

function fail(flag: string, expected: string, input: unknown): never {
  throw new UsageError(`${flag}: expected ${expected}, got ${JSON.stringify(input)}`);
}

function describeRange(what: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: Range): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === 0 ? `a non-negative ${what}` : min === 1 ? `a positive ${what}` : `${what} ≥ ${min}`;
  return `${/^[aeiou]/.test(what) ? "an" : "a"} ${what} from ${min} to ${max}`;
}

/** A number, or text such as `5k`; anything else is NaN. */
function parseWithSuffix(input: unknown, suffixes: Record<string, number>): number {
  if (typeof input === "number") return input;
  if (typeof input !== "string") return Number.NaN;
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(input);
  const scale = match ? suffixes[match[2]!.toLowerCase()] : undefined;
  return match && scale !== undefined ? Number(match[1]) * scale : Number.NaN;
}

function checked(value: number, flag: string, input: unknown, expected: string, integer: boolean, range: Range): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) fail(flag, expected, input);
  return value;
}

/** A whole number such as `200`, `5k` or `1m`. */
export function parseCount(flag: string, input: unknown, range: Range = { min: 1 }): number {
  const value = parseWithSuffix(input, COUNT_SUFFIX);
  return checked(value, flag, input, describeRange("integer", range), true, range);
}

/** A byte size such as `2`, `16k` (16 KiB), `1m` (1 MiB) or `1g` (1 GiB). */
export function parseSize(flag: string, input: unknown, range: Range = {}): number {
  const value = parseWithSuffix(input, SIZE_SUFFIX);
  return checked(value, flag, input, describeRange("size in bytes (e.g. 512, 16k, 1m)", range), true, range);
}

/** Milliseconds, plain (`250`, `0.5`). */
export function parseMs(flag: string, input: unknown, range: Range = {}): number {
  const plain = typeof input === "string" && /^\s*(\d+(\.\d+)?|\.\d+)\s*$/.test(input);
  const value = typeof input === "number" ? input : plain ? Number(input) : Number.NaN;
  return checked(value, flag, input, describeRange("number of milliseconds", range), false, range);
}

/** Seconds: `15`, `1.5`, `15s`, `500ms`, `2m`. */
export function parseDurationS(flag: string, input: unknown, range: Range = {}): number {
  const value = parseWithSuffix(input, DURATION_SUFFIX_S);
  return checked(value, flag, input, describeRange("duration (e.g. 15, 15s, 500ms, 2m)", range), false, range);
}

/** A TCP port, 0 meaning "any free port". */
export function parsePort(flag: string, input: unknown): number {
  return parseCount(flag, input, { min: 0, max: 65535 });
}

/** A whole count with thousands separators: `238,890`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * Milliseconds as every view prints them, without the unit: about three significant digits
 * (`0.765`, `1.23`, `12.3`), whole numbers from 100 on (`1,234`), never exponent notation.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  // The thresholds are where rounding carries over, so 99.96 prints as 100, not 100.0.
  if (ms >= 99.95) return formatCount(ms);
  return ms.toFixed(ms >= 9.995 ? 1 : ms >= 0.9995 ? 2 : 3);
}

/** A latency in words, with its unit: `1.23 ms`, `340 ms`, and seconds from ten seconds on (`12.3 s`). */
export function formatLatency(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${formatMs(ms)} ms`;
}

/** A fraction as a percentage: `0.6%`, `8.1%`, `41%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}
