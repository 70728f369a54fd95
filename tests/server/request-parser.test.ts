import { describe, expect, test } from "bun:test";
import {
  DEFAULT_LIMITS,
  REQUEST_CLOSE,
  REQUEST_HEAD,
  REQUEST_KEEP_ALIVE_10,
  RequestParser,
  type RequestLimits,
} from "../../src/server/request-parser.ts";
import { seededRandom } from "../support/random.ts";

/** What a parser reported for an input: requests (by flags), `continue`, and the error status. */
interface Outcome {
  events: string[];
  status: number;
}

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function run(pieces: Uint8Array[], limits?: RequestLimits): Outcome {
  const events: string[] = [];
  const parser = new RequestParser(
    { onRequest: (flags) => events.push(`request:${flags}`), onContinue: () => events.push("continue") },
    limits,
  );
  let status = 0;
  for (const piece of pieces) {
    const result = parser.execute(piece);
    if (result !== 0) {
      // The status to answer with is reported once, by the call that found the error.
      expect(status).toBe(0);
      status = result;
    }
  }
  expect(parser.error).toBe(status);
  return { events, status };
}

const whole = (input: Uint8Array) => [input];
const byteByByte = (input: Uint8Array) => Array.from(input, (_, i) => input.subarray(i, i + 1));
function randomSplits(input: Uint8Array, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at < input.length) {
    const size = 1 + Math.floor(random() * Math.min(input.length - at, random() < 0.5 ? 8 : 200));
    pieces.push(input.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

/** Parses `text` whole, byte by byte and at many random split points; all must agree. */
function parse(text: string | Uint8Array, limits?: RequestLimits): Outcome {
  const input = typeof text === "string" ? bytes(text) : text;
  const expected = run(whole(input), limits);
  expect(run(byteByByte(input), limits)).toEqual(expected);
  for (let seed = 1; seed <= 40; seed++) expect(run(randomSplits(input, seed), limits)).toEqual(expected);
  return expected;
}

const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const ok = (...flags: number[]) => ({ events: flags.map((f) => `request:${f}`), status: 0 });
const refused = (status: number, ...flags: number[]) => ({ events: flags.map((f) => `request:${f}`), status });

describe("well-formed requests", () => {
  test("simple GET", () => {
    expect(parse(GET)).toEqual(ok(0));
    expect(parse("GET /a/b?c=d&e=%20f HTTP/1.1\r\nHost: example.com:8000\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n")).toEqual(ok(0));
  });

  test("HEAD is flagged, other methods are not", () => {
    expect(parse("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")).toEqual(ok(REQUEST_HEAD));
    for (const method of ["HEA", "HEADS", "head", "HEAX", "POST", "X"]) {
      expect(parse(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`)).toEqual(ok(0));
    }
  });

  test("HTTP/1.0 closes by default and keeps alive on request", () => {
    expect(parse("GET / HTTP/1.0\r\n\r\n")).toEqual(ok(REQUEST_CLOSE));
    expect(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).toEqual(ok(REQUEST_KEEP_ALIVE_10));
    expect(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: x\r\n\r\n")).toEqual(ok(REQUEST_KEEP_ALIVE_10));
    expect(parse("HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).toEqual(ok(REQUEST_HEAD | REQUEST_KEEP_ALIVE_10));
    expect(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")).toEqual(ok(REQUEST_CLOSE));
  });

  test("Connection tokens, in any case, alone or in lists", () => {
    const withConnection = (value: string) => parse(`GET / HTTP/1.1\r\nHost: x\r\nConnection: ${value}\r\n\r\n`);
    expect(withConnection("close")).toEqual(ok(REQUEST_CLOSE));
    expect(withConnection("CLOSE")).toEqual(ok(REQUEST_CLOSE));
    expect(withConnection("cLoSe  ")).toEqual(ok(REQUEST_CLOSE));
    expect(withConnection("keep-alive")).toEqual(ok(0));
    expect(withConnection("Upgrade, Close")).toEqual(ok(REQUEST_CLOSE));
    expect(withConnection("foo ,close, bar")).toEqual(ok(REQUEST_CLOSE));
    expect(withConnection("closed")).toEqual(ok(0));
    expect(withConnection("not-close")).toEqual(ok(0));
    expect(withConnection("close-ish, keep-alive")).toEqual(ok(0));
    expect(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nconnection: close\r\n\r\n")).toEqual(ok(REQUEST_CLOSE));
  });

  test("pipelined requests in one buffer, each with its own flags", () => {
    const input = `${GET}HEAD / HTTP/1.1\r\nHost: x\r\n\r\n${GET}GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    expect(parse(input)).toEqual(ok(0, REQUEST_HEAD, 0, REQUEST_CLOSE));
  });

  test("flags do not leak from one request to the next", () => {
    const input = "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET + "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nxGET / HTTP/1.1\r\nHost: y\r\n\r\n";
    expect(parse(input)).toEqual(ok(REQUEST_HEAD | REQUEST_KEEP_ALIVE_10, 0, 0, 0));
  });

  test("Content-Length bodies are skipped, whatever bytes they hold", () => {
    const body = "GET / HTTP/1.1\r\n\r\n\x00\xff";
    const input = `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}${GET}`;
    expect(parse(input)).toEqual(ok(0, 0));
    expect(parse(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n${GET}`)).toEqual(ok(0, 0));
    expect(parse(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length:  3 \r\n\r\nabc${GET}`)).toEqual(ok(0, 0));
  });

  test("an incomplete body is not a request yet", () => {
    expect(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n123456789")).toEqual(ok());
  });

  test("identical duplicate Content-Length is accepted", () => {
    expect(parse(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc${GET}`)).toEqual(ok(0, 0));
  });

  // The body framing itself (chunks, extensions, trailers, their limits) is tested for both parsers in tests/http.
  test("chunked bodies end the request; the codings before chunked do not matter", () => {
    expect(parse(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${GET}`)).toEqual(ok(0, 0));
    expect(parse(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`)).toEqual(ok(0));
  });

  test("empty lines before a request line are ignored", () => {
    expect(parse(`\r\n\r\n${GET}\r\n${GET}`)).toEqual(ok(0, 0));
  });

  test("Expect: 100-continue is reported before the body, only when there is one", () => {
    const head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n";
    expect(parse(`${head}Content-Length: 2\r\n\r\nhi`)).toEqual({ events: ["continue", "request:0"], status: 0 });
    expect(parse(`${head}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`)).toEqual({ events: ["continue", "request:0"], status: 0 });
    expect(parse(`${head}\r\n`)).toEqual(ok(0));
    expect(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")).toEqual(ok(REQUEST_CLOSE));
  });

  test("field values of fields the server ignores may be long", () => {
    expect(parse(`GET / HTTP/1.1\r\nHost: x\r\nCookie: ${"c".repeat(8000)}\r\n\r\n`)).toEqual(ok(0));
  });

  test("a long Host value is fine", () => {
    expect(parse(`GET / HTTP/1.1\r\nHost: ${"h".repeat(1000)}\r\n\r\n`)).toEqual(ok(0));
  });
});

describe("bad input, with its status", () => {
  const cases: [string, string, number][] = [
    ["request line without version", "GET /\r\n\r\n", 400],
    ["request line with one word", "GET\r\n\r\n", 400],
    ["empty target", "GET  HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["two spaces after the target", "GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["space before the method", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["bad method character", "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["method with a slash", "G/ET / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["NUL in the method", "G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["control character in the target", "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["tab before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400],
    ["empty field name", "GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n", 400],
    ["field name with a bad character", "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", 400],
    ["field line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400],
    ["obs-fold with a space", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400],
    ["obs-fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400],
    ["NUL in a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400],
    ["control character in a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x1bb\r\n\r\n", 400],
    ["DEL in a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", 400],
    ["bare CR in a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400],
    ["bare CR after the request line", "GET / HTTP/1.1\rHost: x\r\n\r\n", 400],
    ["bare CR ending the head", "GET / HTTP/1.1\r\nHost: x\r\n\rX", 400],
    ["Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
    ["Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400],
    ["differing Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400],
    ["non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400],
    ["negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400],
    ["signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400],
    ["Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400],
    ["hex Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400],
    ["empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400],
    ["huge Content-Length", `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${"9".repeat(30)}\r\n\r\n`, 400],
    ["Transfer-Encoding not ending in chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400],
    ["Transfer-Encoding gzip", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
    ["Transfer-Encoding chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400],
    ["Transfer-Encoding near-chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", 400],
    ["Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
    ["missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400],
    ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400],
    ["two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400],
    ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505],
    ["HTTP/0.9", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505],
    ["lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400],
    ["garbage version", "GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 400],
    ["version without minor", "GET / HTTP/1\r\nHost: x\r\n\r\n", 400],
    ["version with letters", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400],
    ["version too long", "GET / HTTP/1.11\r\nHost: x\r\n\r\n", 400],
    ["space after the version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400],
  ];
  for (const [name, input, status] of cases) {
    test(`${name} → ${status}`, () => expect(parse(input).status).toBe(status));
  }

  test("the requests before a bad one are still reported", () => {
    expect(parse(`${GET}${GET}GET / HTTP/9.9\r\n\r\n${GET}`)).toEqual(refused(505, 0, 0));
  });

  test("after an error the parser ignores further input", () => {
    const events: string[] = [];
    const parser = new RequestParser({ onRequest: (flags) => events.push(`request:${flags}`), onContinue: () => events.push("continue") });
    expect(parser.execute(bytes("GET / HTTP/1.1\r\nHost : x\r\n\r\n"))).toBe(400);
    expect(parser.execute(bytes(GET))).toBe(0);
    expect(parser.execute(bytes("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"))).toBe(0);
    expect(events).toEqual([]);
    expect(parser.error).toBe(400);
  });

  test("stop() makes the parser ignore further input", () => {
    const events: string[] = [];
    const parser = new RequestParser({ onRequest: (flags) => events.push(`request:${flags}`), onContinue: () => {} });
    expect(parser.execute(bytes(GET))).toBe(0);
    parser.stop();
    expect(parser.execute(bytes(GET))).toBe(0);
    expect(events).toEqual(["request:0"]);
  });
});

describe("size limits", () => {
  const { maxRequestLineBytes, maxHeaderBytes } = DEFAULT_LIMITS;

  test("the limits are 8 KiB and 16 KiB", () => {
    expect(maxRequestLineBytes).toBe(8 * 1024);
    expect(maxHeaderBytes).toBe(16 * 1024);
  });

  test("a request line at the limit is accepted, one byte over is 414", () => {
    const line = (length: number) => `GET /${"a".repeat(length - "GET / HTTP/1.1\r\n".length)} HTTP/1.1\r\n`;
    expect(line(maxRequestLineBytes).length).toBe(maxRequestLineBytes);
    expect(parse(`${line(maxRequestLineBytes)}Host: x\r\n\r\n`)).toEqual(ok(0));
    expect(parse(`${line(maxRequestLineBytes + 1)}Host: x\r\n\r\n`).status).toBe(414);
  });

  test("a long method or a target that never ends is 414", () => {
    expect(parse(`${"A".repeat(maxRequestLineBytes + 10)} / HTTP/1.1\r\n`).status).toBe(414);
    expect(parse(`GET /${"a".repeat(maxRequestLineBytes + 10)}`).status).toBe(414);
  });

  test("a header section at the limit is accepted, one byte over is 431", () => {
    const head = (length: number) => {
      const fixed = "Host: x\r\nX-Fill: \r\n\r\n".length;
      return `Host: x\r\nX-Fill: ${"f".repeat(length - fixed)}\r\n\r\n`;
    };
    expect(head(maxHeaderBytes).length).toBe(maxHeaderBytes);
    expect(parse(`GET / HTTP/1.1\r\n${head(maxHeaderBytes)}`)).toEqual(ok(0));
    expect(parse(`GET / HTTP/1.1\r\n${head(maxHeaderBytes + 1)}`).status).toBe(431);
  });

  test("many small fields past the limit are 431", () => {
    expect(parse(`GET / HTTP/1.1\r\nHost: x\r\n${"X-A: b\r\n".repeat(3000)}\r\n`).status).toBe(431);
  });

  test("the limit is enforced as soon as it is crossed, without the end of the head", () => {
    const parser = new RequestParser({ onRequest: () => {}, onContinue: () => {} });
    expect(parser.execute(bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Fill: "))).toBe(0);
    const fill = bytes("f".repeat(1024));
    let fed = 0;
    let status = 0;
    while (status === 0 && fed < 1024) {
      status = parser.execute(fill);
      fed++;
    }
    expect(status).toBe(431);
    expect(fed).toBe(16);
  });

  test("a request line that never ends fails byte by byte at the limit", () => {
    const parser = new RequestParser({ onRequest: () => {}, onContinue: () => {} });
    const a = bytes("a");
    expect(parser.execute(bytes("GET /"))).toBe(0);
    let fed = 5;
    let status = 0;
    while (status === 0 && fed < 100_000) {
      status = parser.execute(a);
      fed++;
    }
    expect(status).toBe(414);
    expect(fed).toBe(maxRequestLineBytes + 1);
  });

  test("a parser holds bounded state whatever it is fed", () => {
    // Feed a megabyte of headers in one piece: the parser scans it but keeps nothing of it.
    const parser = new RequestParser({ onRequest: () => {}, onContinue: () => {} });
    const before = JSON.stringify(Object.values(parser)).length;
    expect(parser.execute(bytes(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(1 << 20)}\r\n\r\n`))).toBe(431);
    expect(JSON.stringify(Object.values(parser)).length).toBeLessThan(before + 100);
  });

  test("custom limits apply", () => {
    const limits = { maxRequestLineBytes: 32, maxHeaderBytes: 64 };
    expect(parse(`GET /${"a".repeat(40)} HTTP/1.1\r\nHost: x\r\n\r\n`, limits).status).toBe(414);
    expect(parse(`GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(60)}\r\n\r\n`, limits).status).toBe(431);
    expect(parse(GET, limits)).toEqual(ok(0));
  });

  test("endless empty lines before a request are refused", () => {
    expect(parse("\r\n".repeat(maxRequestLineBytes)).status).toBe(400);
  });
});

describe("random splits agree on a long mixed stream", () => {
  test("many requests of every kind, many seeds", () => {
    const parts = [
      GET,
      "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
      "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n4;a=b\r\nwiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: upgrade, keep-alive\r\n\r\n",
    ];
    const input = parts.join("").repeat(5) + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const expected = parse(input);
    expect(expected.status).toBe(0);
    expect(expected.events.filter((e) => e.startsWith("request")).length).toBe(31);
    expect(expected.events.filter((e) => e === "continue").length).toBe(5);
    for (let seed = 100; seed < 400; seed++) expect(run(randomSplits(bytes(input), seed))).toEqual(expected);
  });
});
