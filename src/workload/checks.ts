import { UsageError } from "../errors.ts";
import { bytesOf, lower } from "../http/bytes.ts";

/**
 * Response checks without a script, as predicates over the bytes the response parser already
 * has: `--expect-status 200,204` or `2xx`, `--expect-body TEXT` (a substring of the body),
 * `--expect-header "Name: value"` (a field of that name, in any case, with exactly that value).
 * Tables are built once; a check costs a table lookup, a byte loop, or one integer of state per
 * connection for the body, which arrives in pieces: nothing is allocated per response.
 */

export interface CheckFlags {
  status: string | null;
  body: string | null;
  headers: readonly string[];
}

/** A bit per header expectation in one integer. */
export const MAX_HEADER_CHECKS = 31;

/** The statuses `--expect-status` accepts, as a 600-entry table. */
export class StatusSet {
  private readonly allowed = new Uint8Array(600);

  constructor(readonly text: string) {
    for (const item of text.split(",")) {
      const code = item.trim();
      if (/^[1-5]xx$/i.test(code)) this.allowed.fill(1, Number(code[0]) * 100, Number(code[0]) * 100 + 100);
      else if (/^[1-5]\d\d$/.test(code)) this.allowed[Number(code)] = 1;
      else throw new UsageError(`--expect-status: expected status codes or classes such as 200,204 or 2xx, got ${JSON.stringify(text)}`);
    }
  }

  has(status: number): boolean {
    return status < 600 && this.allowed[status] === 1;
  }
}

/**
 * A substring search that reads the body in whatever pieces it arrives (Knuth–Morris–Pratt):
 * the state between pieces is one integer, how much of the needle the bytes so far end with.
 */
export class BodyNeedle {
  readonly needle: Uint8Array;
  /** For each prefix length, the longest proper border: where to fall back after a mismatch. */
  private readonly border: Int32Array;

  constructor(text: string) {
    if (text === "") throw new UsageError("--expect-body: expected a non-empty text to look for in the body");
    this.needle = new Uint8Array(Buffer.from(text, "utf8"));
    const n = this.needle.length;
    this.border = new Int32Array(n + 1);
    this.border[0] = -1;
    for (let i = 0, k = -1; i < n; i++) {
      while (k >= 0 && this.needle[k] !== this.needle[i]) k = this.border[k]!;
      this.border[i + 1] = ++k;
    }
  }

  get found(): number {
    return this.needle.length;
  }

  /** The state after bytes[from, to); equal to `found` once the needle has been seen (it stays there). */
  advance(state: number, bytes: Uint8Array, from: number, to: number): number {
    const needle = this.needle;
    const n = needle.length;
    let k = state;
    for (let i = from; i < to && k < n; i++) {
      while (k >= 0 && needle[k] !== bytes[i]) k = this.border[k]!;
      k++;
    }
    return k;
  }
}

/** `--expect-header "Name: value"`. */
export class HeaderExpectation {
  readonly name: Uint8Array;
  readonly value: Uint8Array;

  constructor(readonly text: string) {
    const colon = text.indexOf(":");
    const name = text.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new UsageError(`--expect-header: expected "Name: value", got ${JSON.stringify(text)}`);
    }
    this.name = bytesOf(name.toLowerCase());
    this.value = new Uint8Array(Buffer.from(text.slice(colon + 1).trim(), "utf8"));
  }

  /** Whether the field whose name is bytes[nameFrom, nameTo) and value (without OWS) bytes[valueFrom, valueTo) is this one. */
  matches(bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): boolean {
    const { name, value } = this;
    if (nameTo - nameFrom !== name.length || valueTo - valueFrom !== value.length) return false;
    for (let i = 0; i < name.length; i++) if (lower(bytes[nameFrom + i]!) !== name[i]) return false;
    for (let i = 0; i < value.length; i++) if (bytes[valueFrom + i] !== value[i]) return false;
    return true;
  }
}

/**
 * The checks of a run and their counters, `checks: {name: {passed, failed}}`, in the order
 * status, body, headers. One per thread; counters are summed at the end.
 */
export class ResponseChecks {
  readonly status: StatusSet | null;
  readonly body: BodyNeedle | null;
  readonly headers: readonly HeaderExpectation[];
  readonly names: readonly string[];
  readonly passed: Float64Array;
  readonly failed: Float64Array;

  constructor(flags: CheckFlags) {
    this.status = flags.status === null ? null : new StatusSet(flags.status);
    this.body = flags.body === null ? null : new BodyNeedle(flags.body);
    if (flags.headers.length > MAX_HEADER_CHECKS) throw new UsageError(`--expect-header: at most ${MAX_HEADER_CHECKS} of them`);
    this.headers = flags.headers.map((text) => new HeaderExpectation(text));
    this.names = [
      ...(this.status === null ? [] : ["status"]),
      ...(this.body === null ? [] : ["body"]),
      ...this.headers.map((header) => `header:${header.text.slice(0, header.text.indexOf(":")).trim()}`),
    ];
    this.passed = new Float64Array(this.names.length);
    this.failed = new Float64Array(this.names.length);
  }

  get any(): boolean {
    return this.names.length > 0;
  }

  /** The header expectations one field meets, as bits (bit i: the i-th `--expect-header`). */
  matchField(bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): number {
    let mask = 0;
    for (let i = 0; i < this.headers.length; i++) {
      if (this.headers[i]!.matches(bytes, nameFrom, nameTo, valueFrom, valueTo)) mask |= 1 << i;
    }
    return mask;
  }

  /**
   * Counts one complete response: its status, the body needle's final state and the bits of the
   * header expectations its fields met. True when every check passed.
   */
  record(status: number, bodyState: number, headerMask: number): boolean {
    let c = 0;
    let all = true;
    if (this.status !== null) all = this.count(c++, this.status.has(status)) && all;
    if (this.body !== null) all = this.count(c++, bodyState === this.body.found) && all;
    for (let i = 0; i < this.headers.length; i++) all = this.count(c++, (headerMask & (1 << i)) !== 0) && all;
    return all;
  }

  toJSON(): Record<string, { passed: number; failed: number }> {
    return Object.fromEntries(this.names.map((name, i) => [name, { passed: this.passed[i]!, failed: this.failed[i]! }]));
  }

  private count(c: number, passed: boolean): boolean {
    if (passed) this.passed[c] = this.passed[c]! + 1;
    else this.failed[c] = this.failed[c]! + 1;
    return passed;
  }
}
