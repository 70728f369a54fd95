/**
 * Values that differ per request without a script: `{{seq}}` (a zero-padded counter, 10 digits,
 * or `{{seq:N}}` for N digits), `{{rand:N}}` (N random decimal digits) and `{{uuid}}` (a random
 * version-4 UUID), anywhere in the URL's path and query, a header value or the body.
 *
 * Each has a fixed width, so a request is encoded once with a filler in its place and the
 * positions are kept; per send only those bytes are overwritten. The length of the request never
 * changes, so its Content-Length stays true and nothing is allocated. Text in double braces that
 * names none of these is sent as it is.
 */

export const SEQ = 1;
export const RAND = 2;
export const UUID = 3;

export const DEFAULT_SEQ_DIGITS = 10;
/** Below 2^53 whatever the counter: 15 decimal digits. */
export const MAX_SEQ_DIGITS = 15;
export const MAX_RAND_DIGITS = 64;
const UUID_FILLER = "00000000-0000-4000-8000-000000000000";

const PLACEHOLDER = /\{\{(seq|rand|uuid)(?::([^{}]*))?\}\}/g;
/** A URL parser percent-encodes braces in a path; they are put back so the placeholder is found. */
const ENCODED_PLACEHOLDER = /%7B%7B((?:seq|rand|uuid)(?::\d+)?)%7D%7D/gi;

interface Placeholder {
  kind: number;
  width: number;
}

/** The placeholder a match stands for, or a message saying what was expected instead. */
function placeholderOf(name: string, argument: string | undefined): Placeholder | string {
  const digits = argument !== undefined && /^\d+$/.test(argument) ? Number(argument) : Number.NaN;
  if (name === "uuid") return argument === undefined ? { kind: UUID, width: UUID_FILLER.length } : "expected {{uuid}} without a width";
  if (name === "seq") {
    if (argument === undefined) return { kind: SEQ, width: DEFAULT_SEQ_DIGITS };
    return digits >= 1 && digits <= MAX_SEQ_DIGITS ? { kind: SEQ, width: digits } : `expected {{seq:N}} with N from 1 to ${MAX_SEQ_DIGITS}`;
  }
  return digits >= 1 && digits <= MAX_RAND_DIGITS ? { kind: RAND, width: digits } : `expected {{rand:N}} with N from 1 to ${MAX_RAND_DIGITS}`;
}

/** What is wrong with the first malformed placeholder in `text`, or null when all are well formed. */
export function placeholderProblem(text: string): string | null {
  if (!text.includes("{{")) return null;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const placeholder = placeholderOf(match[1]!, match[2]);
    if (typeof placeholder === "string") return `${placeholder}, got ${match[0]}`;
  }
  return null;
}

export function restoreEncodedPlaceholders(pathAndQuery: string): string {
  return pathAndQuery.includes("%") ? pathAndQuery.replace(ENCODED_PLACEHOLDER, "{{$1}}") : pathAndQuery;
}

/**
 * `text` (one character per byte) with every placeholder replaced by a filler of its width. The
 * position (offset by `base`), kind and width of each are appended to `patches`, three numbers each.
 */
export function expandPlaceholders(text: string, base: number, patches: number[]): string {
  if (!text.includes("{{")) return text;
  let out = "";
  let from = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const placeholder = placeholderOf(match[1]!, match[2]);
    if (typeof placeholder === "string") throw new Error(placeholder); // readers refuse these first
    out += text.slice(from, match.index);
    patches.push(base + out.length, placeholder.kind, placeholder.width);
    out += placeholder.kind === UUID ? UUID_FILLER : "0".repeat(placeholder.width);
    from = match.index + match[0].length;
  }
  return out + text.slice(from);
}

// --- the per-send writers: byte loops over the request, no allocation.

const DIGIT_0 = 0x30;
const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const POW10 = Array.from({ length: MAX_SEQ_DIGITS + 1 }, (_, n) => 10 ** n);
/** Where the 32 hex digits of a UUID are, around its four dashes. */
const UUID_HEX_AT = Uint8Array.from({ length: 36 }, (_, i) => i).filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23);
const UUID_VERSION_AT = 14;
const UUID_VARIANT_AT = 19;

/** A source of uniformly random 32-bit integers. */
export interface RandomSource {
  nextU32(): number;
}

/** `value` modulo 10^width, zero-padded, at bytes[at, at + width). */
export function writeSeq(bytes: Uint8Array, at: number, width: number, value: number): void {
  let rest = value < POW10[width]! ? value : value % POW10[width]!;
  let i = at + width - 1;
  // Digits above 2^31 in floating point; the rest (all of them, mostly) in 32-bit integers.
  for (; rest >= 2147483648; i--) {
    const quotient = Math.floor(rest / 10);
    bytes[i] = DIGIT_0 + rest - quotient * 10;
    rest = quotient;
  }
  for (let r = rest | 0; i >= at; i--) {
    const quotient = (r / 10) | 0;
    bytes[i] = DIGIT_0 + r - quotient * 10;
    r = quotient;
  }
}

/** `width` random decimal digits, nine from each draw. */
export function writeRandomDigits(bytes: Uint8Array, at: number, width: number, random: RandomSource): void {
  const end = at + width;
  for (let i = at; i < end; ) {
    // 30 bits below 10^9 are uniform over nine digits (redrawn 7% of the time), and stay in int32.
    let draw = random.nextU32() >>> 2;
    while (draw >= 1_000_000_000) draw = random.nextU32() >>> 2;
    for (let n = 0; n < 9 && i < end; n++, i++) {
      const quotient = (draw / 10) | 0;
      bytes[i] = DIGIT_0 + draw - quotient * 10;
      draw = quotient;
    }
  }
}

/** A random version-4, variant-1 UUID (RFC 9562 §5.4) over the 36-byte filler. */
export function writeUuid(bytes: Uint8Array, at: number, random: RandomSource): void {
  for (let word = 0; word < 4; word++) {
    let draw = random.nextU32();
    for (let n = 0; n < 8; n++) {
      const i = UUID_HEX_AT[word * 8 + n]!;
      const nibble = draw & 0xf;
      // The version digit is 4; the variant's two high bits are 10, so its digit is 8, 9, a or b.
      bytes[at + i] = HEX_DIGITS[i === UUID_VERSION_AT ? 4 : i === UUID_VARIANT_AT ? 8 | (nibble & 3) : nibble]!;
      draw >>>= 4;
    }
  }
}
