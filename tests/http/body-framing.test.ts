/**
 * Body framing, once for both parsers: every case is sent as the body of a request to the server's
 * parser and as the body of a response to the client's, whole, byte by byte and at random splits,
 * and both must come to the same verdict. Chunked framing follows RFC 9112 §7.1 to the letter.
 */
import { describe, expect, test } from "bun:test";
import { MAX_CHUNK_LINE_BYTES } from "../../src/http/body.ts";
import { LIMIT_BYTES, clientVerdict, serverVerdict, type Verdict } from "./parsers.ts";

const CHUNKED = "Transfer-Encoding: chunked";
const length = (n: number | string) => `Content-Length: ${n}`;

type Case = [name: string, field: string, body: string, verdict: Verdict];

/** A trailer section of exactly `size` bytes, the empty line ending it included. */
function trailersOf(size: number): string {
  const fixed = "X-T: \r\n\r\n".length;
  return `X-T: ${"t".repeat(size - fixed)}\r\n\r\n`;
}

const cases: Case[] = [
  // Content-Length.
  ["a body of its length", length(5), "hello", "framed"],
  ["a zero length", length(0), "", "framed"],
  ["leading zeros in a length", length("0005"), "hello", "framed"],
  ["OWS around a length", length("\t 5 \t"), "hello", "framed"],
  ["a body holding bytes that look like framing", length(21), "0\r\n\r\nGET / HTTP/1.1\r\n", "framed"],
  ["a body with every byte value", length(256), Array.from({ length: 256 }, (_, c) => String.fromCharCode(c)).join(""), "framed"],
  ["a length longer than what came", length(1000), "hello", "incomplete"],
  ["a signed length", length("+5"), "hello", "invalid"],
  ["a negative length", length("-5"), "hello", "invalid"],
  ["a hex length", length("0x5"), "hello", "invalid"],
  ["a fraction", length("5.0"), "hello", "invalid"],
  ["a number then letters", length("5a"), "hello", "invalid"],
  ["two numbers in one value", length("5 5"), "hello", "invalid"],
  ["an empty length", length(""), "hello", "invalid"],
  ["NBSP before a length", length("\xa05"), "hello", "invalid"],
  ["NBSP after a length", length("5\xa0"), "hello", "invalid"],
  ["16 digits", length("1000000000000000"), "hello", "invalid"],
  ["differing lengths", `${length(5)}\r\n${length(6)}`, "hello!", "invalid"],

  // Chunk sizes.
  ["one chunk", CHUNKED, "5\r\nhello\r\n0\r\n\r\n", "framed"],
  ["no chunk but the last", CHUNKED, "0\r\n\r\n", "framed"],
  ["upper- and lower-case hex", CHUNKED, `A\r\n${"x".repeat(10)}\r\nb\r\n${"y".repeat(11)}\r\n0\r\n\r\n`, "framed"],
  ["many one-byte chunks", CHUNKED, "1\r\na\r\n".repeat(50) + "0\r\n\r\n", "framed"],
  ["leading zeros, the same on both sides", CHUNKED, "0005\r\nhello\r\n000\r\n\r\n", "framed"],
  ["more leading zeros than the digit limit", CHUNKED, `${"0".repeat(20)}5\r\nhello\r\n${"0".repeat(20)}\r\n\r\n`, "framed"],
  ["chunk data holding CRLF and framing", CHUNKED, "7\r\n0\r\n\r\nGE\r\n0\r\n\r\n", "framed"],
  ["13 significant hex digits, then not enough data", CHUNKED, "fffffffffffff\r\nabc", "incomplete"],
  ["14 significant hex digits", CHUNKED, "10000000000000\r\nabc", "invalid"],
  ["an empty chunk size", CHUNKED, "\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a non-hex chunk size", CHUNKED, "zz\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a signed chunk size", CHUNKED, "+5\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a negative chunk size", CHUNKED, "-5\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a 0x chunk size", CHUNKED, "0x5\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["whitespace before a chunk size", CHUNKED, " 5\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a chunk size followed by junk", CHUNKED, "5x\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["chunk data longer than its size", CHUNKED, "3\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["chunk data followed by the next size", CHUNKED, "3\r\nabc3\r\nabc\r\n0\r\n\r\n", "invalid"],
  ["chunk data followed by CR and junk", CHUNKED, "3\r\nabc\rX0\r\n\r\n", "invalid"],

  // CRLF, and only CRLF, after the chunk size, the chunk data and the last chunk (RFC 9112 §7.1).
  ["a bare LF after a chunk size", CHUNKED, "5\nhello\r\n0\r\n\r\n", "invalid"],
  ["a bare LF after chunk data", CHUNKED, "a\r\n0123456789\n0\r\n\r\n", "invalid"],
  ["a bare LF after the last chunk", CHUNKED, "5\r\nhello\r\n0\n\r\n", "invalid"],
  ["a bare LF ending the trailer section", CHUNKED, "5\r\nhello\r\n0\r\n\n", "invalid"],
  ["a bare LF ending a trailer line", CHUNKED, "0\r\nX-T: 1\n\r\n", "invalid"],
  ["a bare LF after an extension", CHUNKED, "5;a=b\nhello\r\n0\r\n\r\n", "invalid"],
  ["bare LFs throughout", CHUNKED, "2\nok\n0\n\n", "invalid"],
  ["a bare CR after a chunk size", CHUNKED, "5\rhello\r\n0\r\n\r\n", "invalid"],

  // Chunk extensions: *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1).
  ["an extension name", CHUNKED, "5;a\r\nhello\r\n0\r\n\r\n", "framed"],
  ["an extension with a token value", CHUNKED, "5;name=value\r\nhello\r\n0\r\n\r\n", "framed"],
  ["an extension with a quoted value", CHUNKED, '5;a="b c;d=e"\r\nhello\r\n0\r\n\r\n', "framed"],
  ["an extension with quoted pairs", CHUNKED, '5;a="\\"x\\\\ \\y"\r\nhello\r\n0\r\n\r\n', "framed"],
  ["an empty quoted value", CHUNKED, '5;a=""\r\nhello\r\n0\r\n\r\n', "framed"],
  ["several extensions", CHUNKED, '5;a;b=c;d="e";f\r\nhello\r\n0\r\n\r\n', "framed"],
  ["BWS before a semicolon", CHUNKED, "5 \t ;a\r\nhello\r\n0\r\n\r\n", "framed"],
  ["BWS after a semicolon", CHUNKED, "5; \ta\r\nhello\r\n0\r\n\r\n", "framed"],
  ["BWS around an equals sign", CHUNKED, '5;a \t= \t"b"\r\nhello\r\n0\r\n\r\n', "framed"],
  ["BWS between extensions", CHUNKED, "5;a=b ;c ;d\r\nhello\r\n0\r\n\r\n", "framed"],
  ["an extension on the last chunk", CHUNKED, "5\r\nhello\r\n0;end=1\r\n\r\n", "framed"],
  ["obs-text in a quoted value", CHUNKED, '5;a="caf\xe9"\r\nhello\r\n0\r\n\r\n', "framed"],
  ["words after a chunk size", CHUNKED, "2 erfrferferf\r\nok\r\n0\r\n\r\n", "invalid"],
  ["a semicolon without a name", CHUNKED, "2;\r\nok\r\n0\r\n\r\n", "invalid"],
  ["a semicolon and BWS without a name", CHUNKED, "2; \r\nok\r\n0\r\n\r\n", "invalid"],
  ["a value without a name", CHUNKED, "2;=b\r\nok\r\n0\r\n\r\n", "invalid"],
  ["an unterminated quoted value", CHUNKED, '2;a="def; ghi\r\nok\r\n0\r\n\r\n', "invalid"],
  ["a quoted pair escaping the line end", CHUNKED, '2;a="x\\\r\nok\r\n0\r\n\r\n', "invalid"],
  ["a trailing space without a semicolon", CHUNKED, "a \r\n0123456789\r\n0\r\n\r\n", "invalid"],
  ["two trailing spaces", CHUNKED, "25  \r\n" + "x".repeat(37) + "\r\n0\r\n\r\n", "invalid"],
  ["a trailing tab", CHUNKED, "5\t\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["whitespace after an extension", CHUNKED, "5;a=b \r\nhello\r\n0\r\n\r\n", "invalid"],
  ["whitespace inside an extension name", CHUNKED, "5;a b\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["whitespace inside a token value", CHUNKED, "5;a=b c\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["an equals sign without a value", CHUNKED, "5;a=\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a non-token byte in a name", CHUNKED, "5;a@b\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["a comma in a token value", CHUNKED, "5;a=b,c\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["bytes after a quoted value", CHUNKED, '5;a="b"c\r\nhello\r\n0\r\n\r\n', "invalid"],
  ["a control byte in a quoted value", CHUNKED, '5;a="\x01"\r\nhello\r\n0\r\n\r\n', "invalid"],
  ["a NUL in an extension", CHUNKED, "5;a\x00\r\nhello\r\n0\r\n\r\n", "invalid"],
  ["NBSP as BWS", CHUNKED, "5\xa0;a\r\nhello\r\n0\r\n\r\n", "invalid"],

  // Trailers.
  ["trailer fields", CHUNKED, "0\r\nX-A: 1\r\nX-B: two words\r\n\r\n", "framed"],
  ["an empty trailer value", CHUNKED, "0\r\nX-A:\r\n\r\n", "framed"],
  ["obs-text in a trailer value", CHUNKED, "0\r\nX-A: caf\xe9\t\xff\r\n\r\n", "framed"],
  ["a trailer line folded onto the next (obs-fold)", CHUNKED, "0\r\nX-A: a\r\n b\r\n\r\n", "invalid"],
  ["a trailer line without a colon", CHUNKED, "0\r\nX-A\r\n\r\n", "invalid"],
  ["whitespace before a trailer colon", CHUNKED, "0\r\nX-A : 1\r\n\r\n", "invalid"],
  ["an empty trailer name", CHUNKED, "0\r\n: 1\r\n\r\n", "invalid"],
  ["a NUL in a trailer value", CHUNKED, "0\r\nX-A: a\x00b\r\n\r\n", "invalid"],
  ["a bare CR in a trailer value", CHUNKED, "0\r\nX-A: a\rb\r\n\r\n", "invalid"],

  // Limits, the same for both sides.
  ["a trailer section at the limit", CHUNKED, `0\r\n${trailersOf(LIMIT_BYTES)}`, "framed"],
  ["a trailer section one byte over the limit", CHUNKED, `0\r\n${trailersOf(LIMIT_BYTES + 1)}`, "too large"],
  ["many small trailer fields over the limit", CHUNKED, `0\r\n${"X-T: 1\r\n".repeat(200)}\r\n`, "too large"],
  // The limit counts the whole line, CRLF included: "5;" + name + CRLF.
  ["a chunk-size line at the limit", CHUNKED, `5;${"e".repeat(MAX_CHUNK_LINE_BYTES - 4)}\r\nhello\r\n0\r\n\r\n`, "framed"],
  ["a chunk-size line one byte over the limit", CHUNKED, `5;${"e".repeat(MAX_CHUNK_LINE_BYTES - 3)}\r\nhello\r\n0\r\n\r\n`, "invalid"],
  ["leading zeros past the line limit", CHUNKED, `${"0".repeat(MAX_CHUNK_LINE_BYTES)}5\r\nhello\r\n0\r\n\r\n`, "invalid"],
];

describe("body framing: the same verdict from the server's and the client's parser", () => {
  for (const [name, field, body, verdict] of cases) {
    test(`${name}: ${verdict}`, () => {
      expect(serverVerdict(field, body), "server").toBe(verdict);
      expect(clientVerdict(field, body), "client").toBe(verdict);
    });
  }

  test("the table covers every verdict", () => {
    const verdicts = new Set(cases.map(([, , , verdict]) => verdict));
    expect([...verdicts].sort()).toEqual(["framed", "incomplete", "invalid", "too large"]);
  });
});
