/**
 * Matching the few names a parser acts on (header field names, methods) as their bytes arrive.
 *
 * A name that arrives whole in one read is compared once, whole, against the one or two known names
 * of its length: the common case, and the cheapest. A name split across reads is matched as a set
 * of candidate bits, narrowed as each piece arrives, so nothing of it is kept between reads.
 */

export const NO_NAME = -1;

/** The known names, shared by every parser; lower-case letters, digits and "-" when matched caselessly. */
export class NameTable {
  readonly names: readonly Uint8Array[];
  /** ORed into each byte before comparing: 0x20 lower-cases the letters of a token. */
  private readonly fold: number;
  /** Per length, the first name of that length, and per name, the next one of the same length. */
  private readonly firstOfLength: Int8Array;
  private readonly nextOfLength: Int8Array;
  /** Every name a candidate: one bit per name. */
  readonly all: number;

  constructor(names: readonly string[], options: { caseless: boolean }) {
    if (names.length > 30) throw new Error("a name table holds at most 30 names (one candidate bit each)");
    // `| 0x20` maps no token byte to a lower-case letter, digit or "-" except the upper-case letters.
    if (options.caseless && names.some((name) => !/^[a-z0-9-]+$/.test(name))) {
      throw new Error("caseless names are written in lower case");
    }
    this.names = names.map((name) => Uint8Array.from(name, (c) => c.charCodeAt(0)));
    this.fold = options.caseless ? 0x20 : 0;
    this.all = (1 << names.length) - 1;
    const longest = Math.max(...names.map((name) => name.length));
    this.firstOfLength = new Int8Array(longest + 1).fill(NO_NAME);
    this.nextOfLength = new Int8Array(names.length).fill(NO_NAME);
    for (let k = names.length - 1; k >= 0; k--) {
      const length = names[k]!.length;
      this.nextOfLength[k] = this.firstOfLength[length]!;
      this.firstOfLength[length] = k;
    }
  }

  /** The index of the name at bytes[from, from + length), or NO_NAME. The bytes must be token bytes. */
  whole(bytes: Uint8Array, from: number, length: number): number {
    if (length >= this.firstOfLength.length) return NO_NAME;
    const fold = this.fold;
    for (let k = this.firstOfLength[length]!; k !== NO_NAME; k = this.nextOfLength[k]!) {
      const name = this.names[k]!;
      let n = 0;
      while (n < length && (bytes[from + n]! | fold) === name[n]) n++;
      if (n === length) return k;
    }
    return NO_NAME;
  }

  /** The candidates left after bytes[from, to) arrived at position `at` of the name. */
  narrow(candidates: number, at: number, bytes: Uint8Array, from: number, to: number): number {
    const names = this.names;
    const fold = this.fold;
    for (let i = from; i < to && candidates !== 0; i++, at++) {
      const c = bytes[i]! | fold;
      for (let k = 0; k < names.length; k++) {
        if (candidates & (1 << k) && names[k]![at] !== c) candidates &= ~(1 << k);
      }
    }
    return candidates;
  }

  /** The name the candidates left stand for, once the whole name was `length` bytes long. */
  chosen(candidates: number, length: number): number {
    for (let k = 0; candidates !== 0; k++, candidates >>>= 1) {
      if (candidates & 1 && this.names[k]!.length === length) return k;
    }
    return NO_NAME;
  }

}

/**
 * One parser's matching of the name being read: `part()` for each piece of it that ends a read,
 * `last()` for the piece that ends the name. Nothing is allocated per name.
 */
export class NameMatcher {
  private length = 0;
  private candidates = 0;

  constructor(private readonly table: NameTable) {}

  part(bytes: Uint8Array, from: number, to: number): void {
    if (this.length === 0) this.candidates = this.table.all;
    this.candidates = this.table.narrow(this.candidates, this.length, bytes, from, to);
    this.length += to - from;
  }

  /** The name that ends with bytes[from, to): compared whole when no piece of it came in an earlier read. */
  last(bytes: Uint8Array, from: number, to: number): number {
    if (this.length === 0) return this.table.whole(bytes, from, to - from);
    this.part(bytes, from, to);
    const name = this.table.chosen(this.candidates, this.length);
    this.length = 0;
    return name;
  }

  /** Forgets a name cut short (the parser failed or was reset in the middle of it). */
  reset(): void {
    this.length = 0;
  }
}
