import { describe, expect, test } from "bun:test";
import { NO_NAME, NameMatcher, NameTable } from "../../src/http/names.ts";
import { bytes, prng, randomSplit } from "../client/response-harness.ts";

/** Names that share lengths and prefixes, so that neither the length nor the first bytes decide. */
const FIELDS = new NameTable(["content-length", "content-type", "connection", "host", "hose", "x"], { caseless: true });
const METHODS = new NameTable(["HEAD", "POST", "PUT"], { caseless: false });

/** Matches `name` fed in the given pieces, as a parser would: part() for all but the last piece. */
function matchPieces(table: NameTable, pieces: Uint8Array[]): number {
  const matcher = new NameMatcher(table);
  for (const piece of pieces.slice(0, -1)) matcher.part(piece, 0, piece.length);
  const last = pieces.at(-1)!;
  return matcher.last(last, 0, last.length);
}

/** The name's index, which must be the same whole, byte by byte and at random splits. */
function match(table: NameTable, name: string): number {
  const data = bytes(name);
  const whole = table.whole(data, 0, data.length);
  expect(matchPieces(table, [data])).toBe(whole);
  expect(matchPieces(table, Array.from(data, (_, i) => data.subarray(i, i + 1)))).toBe(whole);
  for (let seed = 1; seed <= 20; seed++) expect(matchPieces(table, randomSplit(data, prng(seed)))).toBe(whole);
  return whole;
}

describe("field names: matched in any case", () => {
  test("each known name, in any case", () => {
    expect(match(FIELDS, "content-length")).toBe(0);
    expect(match(FIELDS, "Content-Type")).toBe(1);
    expect(match(FIELDS, "CONNECTION")).toBe(2);
    expect(match(FIELDS, "hOsT")).toBe(3);
    expect(match(FIELDS, "Hose")).toBe(4);
    expect(match(FIELDS, "X")).toBe(5);
  });

  test("prefixes, extensions and near misses match nothing", () => {
    for (const name of ["content", "content-lengths", "content-lengt", "connectio", "hos", "hosts", "xx", "y", "c0ntent-length", "content_length", "Content-Length!"]) {
      expect(match(FIELDS, name)).toBe(NO_NAME);
    }
  });

  test("token bytes that fold onto letters with 0x20 do not match them", () => {
    // "^" | 0x20 is "~", "_" | 0x20 is DEL: neither is a letter or "-".
    expect(match(FIELDS, "content^length")).toBe(NO_NAME);
    expect(match(FIELDS, "content_length")).toBe(NO_NAME);
  });

  test("a matcher is ready for the next name after last(), and after reset()", () => {
    const matcher = new NameMatcher(FIELDS);
    matcher.part(bytes("Conn"), 0, 4);
    expect(matcher.last(bytes("ection"), 0, 6)).toBe(2);
    matcher.part(bytes("Content-Le"), 0, 10);
    matcher.reset();
    expect(matcher.last(bytes("host"), 0, 4)).toBe(3);
  });

  test("caseless names must be written in lower case", () => {
    expect(() => new NameTable(["Host"], { caseless: true })).toThrow();
  });
});

describe("methods: matched exactly", () => {
  test("only the exact bytes", () => {
    expect(match(METHODS, "HEAD")).toBe(0);
    expect(match(METHODS, "POST")).toBe(1);
    expect(match(METHODS, "PUT")).toBe(2);
    for (const name of ["head", "Head", "HEADS", "HEA", "GET", "PUTS", "P"]) expect(match(METHODS, name)).toBe(NO_NAME);
  });
});
