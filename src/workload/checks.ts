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

/** A bit per header expectation in one integer, and with status and body a bit per check in another. */
export const MAX_HEADER_CHECKS = 30;

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
 * The checks of a run, named as `checks: {name: {passed, failed}}` reports them, in the order
 * status, body, headers: check c is bit c of what `failures` returns (the tally counts them).
 */
export class ResponseChecks {
  readonly status: StatusSet | null;
  readonly body: BodyNeedle | null;
  readonly headers: readonly HeaderExpectation[];
  readonly names: readonly string[];

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
   * The checks one complete response failed, as bits (0: it passed them all), from its status,
   * the body needle's final state and the bits of the header expectations its fields met.
   */
  failures(status: number, bodyState: number, headerMask: number): number {
    let c = 0;
    let failed = 0;
    if (this.status !== null && !this.status.has(status)) failed |= 1 << c;
    if (this.status !== null) c++;
    if (this.body !== null && bodyState !== this.body.found) failed |= 1 << c;
    if (this.body !== null) c++;
    // The header bits that are missing, moved above the status and body bits.
    const all = this.headers.length === 0 ? 0 : (2 ** this.headers.length - 1) | 0;
    return (failed | ((~headerMask & all) << c)) >>> 0;
  }
}
