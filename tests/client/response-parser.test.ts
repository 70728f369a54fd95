import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ResponseParser } from "../../src/client/response-parser.ts";
import {
  PARSE_ERROR,
  byteByByte,
  bytes,
  feed,
  prng,
  randomSplit,
  randomStream,
  whole,
  type FeedOptions,
  type Outcome,
  type Response,
} from "./response-harness.ts";

const SPLIT_SEEDS = 60;

/** The outcome must not depend on where the packets were cut: whole, byte by byte, and at random. */
function expectEverySplit(text: string | Uint8Array, expected: Outcome, options: FeedOptions = {}): void {
  const data = typeof text === "string" ? bytes(text) : text;
  expect(feed(whole(data), options), "whole").toEqual(expected);
  expect(feed(byteByByte(data), options), "byte by byte").toEqual(expected);
  for (let seed = 1; seed <= SPLIT_SEEDS; seed++) {
    expect(feed(randomSplit(data, prng(seed)), options), `random split, seed ${seed}`).toEqual(expected);
  }
}

const ok = (...responses: Response[]): Outcome => ({ responses, error: 0 });
const failsAfter = (...responses: Response[]): Outcome => ({ responses, error: PARSE_ERROR });

const OK_2 = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

describe("status line", () => {
  test("HTTP/1.1 with a reason phrase", () => expectEverySplit(OK_2, ok([200, true])));
  test("HTTP/1.0 closes unless it says keep-alive", () => {
    expectEverySplit("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", ok([200, false]));
    expectEverySplit("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", ok([200, true]));
  });
  test("an empty reason phrase, with or without the space before it", () => {
    expectEverySplit("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", ok([200, true]));
    expectEverySplit("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", ok([404, true]));
  });
  test("a reason phrase with tabs, spaces, digits and obs-text", () =>
    expectEverySplit("HTTP/1.1 503 Service\tUn available 42 \xe9\xff\r\nContent-Length: 0\r\n\r\n", ok([503, true])));
  test("any three-digit status is reported as it is", () => {
    for (const status of [200, 201, 299, 302, 418, 499, 500, 599, 600, 999]) {
      expectEverySplit(`HTTP/1.1 ${status} X\r\nContent-Length: 1\r\n\r\nx`, ok([status, true]));
    }
  });
  test("HTTP/1.2+ is read with HTTP/1.1 semantics", () =>
    expectEverySplit("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", ok([200, true])));
  test("bare LF line ends are tolerated", () =>
    expectEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\n\nokHTTP/1.1 201 OK\r\nContent-Length: 0\n\r\n", ok([200, true], [201, true])));

  const garbage = [
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/2.0 200 OK\r\n\r\n",
    "HTTP/0.9 200 OK\r\n\r\n",
    "http/1.1 200 OK\r\n\r\n",
    "HTTP/1.x 200 OK\r\n\r\n",
    "HTTP/1.1  200 OK\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.1 2000 OK\r\n\r\n",
    "HTTP/1.1 2x0 OK\r\n\r\n",
    "HTTP/1.1 abc OK\r\n\r\n",
    "HTTP/1.1 200 O\x00K\r\n\r\n",
    "HTTP/1.1 200 OK\rX\n\r\n",
    "<html>hello</html>",
    "SSH-2.0-OpenSSH_9.6\r\n",
  ];
  for (const text of garbage) {
    test(`garbage status line ${JSON.stringify(text.slice(0, 24))} is a parse error`, () =>
      expectEverySplit(text, failsAfter()));
  }
});

describe("header fields", () => {
  test("Connection: close, in any case and inside a list", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
    expectEverySplit("HTTP/1.1 200 OK\r\ncOnNeCtIoN:CLOSE\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
    expectEverySplit("HTTP/1.1 200 OK\r\nConnection: Upgrade ,\t close , foo\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
    expectEverySplit("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
  });
  test("tokens that only look like close or keep-alive do not count", () => {
    for (const value of ["closed", "x-close", "clos", "close-ish", "c lose"]) {
      expectEverySplit(`HTTP/1.1 200 OK\r\nConnection: ${value}\r\nContent-Length: 0\r\n\r\n`, ok([200, true]));
    }
    for (const value of ["keep-alive2", "keep alive", "keepalive", "keep-aliv"]) {
      expectEverySplit(`HTTP/1.0 200 OK\r\nConnection: ${value}\r\nContent-Length: 0\r\n\r\n`, ok([200, false]));
    }
  });
  test("HTTP/1.0 keep-alive inside a list; close wins over keep-alive", () => {
    expectEverySplit("HTTP/1.0 200 OK\r\nConnection: foo, KEEP-ALIVE\r\nContent-Length: 0\r\n\r\n", ok([200, true]));
    expectEverySplit("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
  });
  test("fields that merely resemble the framing fields are skipped", () =>
    expectEverySplit(
      "HTTP/1.1 200 OK\r\nContent-Lengthy: 9\r\nX-Content-Length: 7\r\nConnections: close\r\nConnectio: close\r\n" +
        "Transfer-Encodings: chunked\r\nContent-Len: 1\r\nContent-Length: 3\r\n\r\nabc",
      ok([200, true]),
    ));
  test("an obs-fold continuation line continues the previous value", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\nConnection: upgrade,\r\n close\r\nContent-Length: 0\r\n\r\n", ok([200, false]));
    expectEverySplit("HTTP/1.1 200 OK\r\nX-Long: a\r\n\tb\r\nContent-Length: 1\r\n\r\nx", ok([200, true]));
    expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\nx", failsAfter());
  });
  test("empty values and values with obs-text are fine", () =>
    expectEverySplit("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Text: caf\xe9 \t\xff\r\nContent-Length: 0\r\n\r\n", ok([200, true])));

  const invalid: Array<[string, string]> = [
    ["whitespace before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"],
    ["a field without a colon", "HTTP/1.1 200 OK\r\nContent-Length\r\n\r\n"],
    ["a NUL in a value", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n"],
    ["CR without LF", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n"],
    ["whitespace before the first field", "HTTP/1.1 200 OK\r\n X-A: a\r\nContent-Length: 0\r\n\r\n"],
    ["a non-token byte in a name", "HTTP/1.1 200 OK\r\nX(A): a\r\nContent-Length: 0\r\n\r\n"],
  ];
  for (const [name, text] of invalid) test(`${name} is a parse error`, () => expectEverySplit(text, failsAfter()));
});

describe("Content-Length", () => {
  test("pipelined responses in one buffer", () =>
    expectEverySplit(OK_2 + OK_2 + "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found" + OK_2, ok([200, true], [200, true], [404, true], [200, true])));
  test("a zero length completes at the end of the head", () => {
    const responses: Response[] = [];
    const parser = new ResponseParser({ onResponse: (s, k) => void responses.push([s, k]) });
    expect(parser.execute(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))).toBe(0);
    expect(responses).toEqual([[200, true]]);
    expect(parser.idle).toBe(true);
  });
  test("a body of 1 MiB is skipped, not stored", () => {
    const size = 1 << 20;
    const head = bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    const data = new Uint8Array(head.length + size + OK_2.length);
    data.set(head);
    data.fill(0x0a, head.length, head.length + size);
    data.set(bytes(OK_2), head.length + size);
    expect(feed(whole(data))).toEqual(ok([200, true], [200, true]));
    for (let seed = 1; seed <= 5; seed++) expect(feed(randomSplit(data, prng(seed)))).toEqual(ok([200, true], [200, true]));
  });
  test("duplicates that agree, on separate lines or as a list", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc", ok([200, true]));
    expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3, 3 ,3\r\n\r\nabc", ok([200, true]));
  });
  test("leading zeros and surrounding whitespace", () =>
    expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: \t 003 \t\r\n\r\nabc", ok([200, true])));
  test("the largest exact length (15 digits) is accepted", () => {
    const outcome = feed(whole(bytes("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\npartial body")), { close: true });
    expect(outcome).toEqual({ responses: [], error: 0, cutShort: true });
  });

  const invalid: Array<[string, string]> = [
    ["differing duplicates", "Content-Length: 3\r\nContent-Length: 4"],
    ["a differing list", "Content-Length: 3, 4"],
    ["a negative length", "Content-Length: -3"],
    ["a signed length", "Content-Length: +3"],
    ["a non-numeric length", "Content-Length: abc"],
    ["a number then letters", "Content-Length: 3a"],
    ["a fraction", "Content-Length: 1.5"],
    ["two numbers in one element", "Content-Length: 1 2"],
    ["an empty length", "Content-Length:"],
    ["a length of only commas", "Content-Length: ,"],
    ["16 digits", "Content-Length: 1000000000000000"],
  ];
  for (const [name, field] of invalid) {
    test(`${name} is a parse error`, () =>
      expectEverySplit(`${OK_2}HTTP/1.1 200 OK\r\n${field}\r\n\r\nabcd${OK_2}`, failsAfter([200, true])));
  }
});

describe("chunked", () => {
  // The body framing itself (chunks, extensions, trailers, their limits) is tested for both parsers in tests/http.
  test("case-insensitive name and value, codings before chunked, parameters", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, true]));
    expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, true]));
    expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, true]));
    expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;foo=1\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, true]));
  });
  test("chunked wins over Content-Length, but the connection is not reused", () =>
    expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, false])));
  test("chunked in HTTP/1.0 is read, then the connection is not reused", () =>
    expectEverySplit("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ok([200, false])));
  test("when chunked is not the final coding the body runs until close", () =>
    expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n1\r\nx\r\n0\r\n\r\n", { responses: [[200, false]], error: 0, cutShort: false }, { close: true }));
  test("coding parameters are read by their grammar (RFC 9110 §10.1.4): a comma in a quoted value ends no coding", () => {
    const chunkedBody = "\r\n\r\n1\r\nx\r\n0\r\n\r\n";
    for (const value of ["chunked;q=1", "chunked ; q = 1", 'chunked;a="b, c";d=e', 'chunked;a="\\"x\\\\"', "gzip;a=\"chunked, x\", chunked"]) {
      expectEverySplit(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${value}${chunkedBody}`, ok([200, true]));
    }
    // The final coding is gzip, whose quoted parameter only looks like a list: read until close.
    expectEverySplit(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip;a="x, chunked"${chunkedBody}`, { responses: [[200, false]], error: 0, cutShort: false }, { close: true });
  });
  test("Connection options have no parameters: what follows a ';' is skipped, so close;x still closes", () => {
    expectEverySplit(`HTTP/1.1 200 OK\r\nConnection: close;x="a, b"\r\nContent-Length: 2\r\n\r\nok`, ok([200, false]));
    expectEverySplit(`HTTP/1.1 200 OK\r\nConnection: ;, x\r\nContent-Length: 2\r\n\r\nok`, ok([200, true]));
  });
  test("a coding parameter that breaks the grammar leaves the framing unknown: a parse error", () => {
    for (const value of ["chunked;", "chunked;q", "chunked;q=", "chunked;=1", "chunked ;", 'gzip;q="x, chunked', "chunked;q=1 2", 'chunked;q="a"b', "gzip;, chunked"]) {
      expectEverySplit(`${OK_2}HTTP/1.1 200 OK\r\nTransfer-Encoding: ${value}\r\n\r\n1\r\nx\r\n0\r\n\r\n${OK_2}`, failsAfter([200, true]));
    }
  });
});

describe("bodies without a length", () => {
  test("a body delimited by close completes on connectionClosed()", () =>
    expectEverySplit(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\n\r\nHTTP/1.1 200 OK\r\n\r\nis body",
      { responses: [[200, false]], error: 0, cutShort: false },
      { close: true },
    ));
  test("an empty close-delimited body", () =>
    expectEverySplit("HTTP/1.0 200 OK\r\n\r\n", { responses: [[200, false]], error: 0, cutShort: false }, { close: true }));
  test("a close-delimited body is not reported before the close", () =>
    expectEverySplit("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nbody", ok()));
  test("204 and 304 have no body even with Content-Length or chunked", () => {
    expectEverySplit("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n" + OK_2, ok([204, true], [200, true]));
    expectEverySplit("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" + OK_2, ok([304, true], [200, true]));
    expectEverySplit("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n" + OK_2, ok([304, true], [200, true]));
    expectEverySplit("HTTP/1.1 204 No Content\r\n\r\n" + OK_2, ok([204, true], [200, true]));
  });
  test("responses to HEAD have no body whatever their fields say", () => {
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const bare = "HTTP/1.1 404 Not Found\r\n\r\n";
    expectEverySplit(head + chunked + bare + head, ok([200, true], [200, true], [404, true], [200, true]), { headRequests: true });
  });
});

describe("1xx responses", () => {
  test("100 Continue is skipped", () =>
    expectEverySplit("HTTP/1.1 100 Continue\r\n\r\n" + OK_2, ok([200, true])));
  test("103 Early Hints with fields, and several 1xx in a row", () =>
    expectEverySplit(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\nLink: </app.js>; rel=preload\r\n\r\n" +
        "HTTP/1.1 100 Continue\r\nContent-Length: 50\r\n\r\nHTTP/1.1 102\r\n\r\n" +
        "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
      ok([201, true]),
    ));
  test("a 1xx alone is not a response, and a close after it cuts the response short", () =>
    expectEverySplit("HTTP/1.1 100 Continue\r\n\r\n", { responses: [], error: 0, cutShort: true }, { close: true }));
  test("101 Switching Protocols ends HTTP: reported, then the rest is ignored", () =>
    expectEverySplit("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello not http", ok([101, false])));
});

describe("limits", () => {
  const head = "HTTP/1.1 200 OK\r\nX-Pad: " + "p".repeat(100) + "\r\nContent-Length: 0\r\n\r\n";
  test("a head of exactly maxHeadBytes passes; one byte more is a parse error", () => {
    expectEverySplit(head + head, ok([200, true], [200, true]), { maxHeadBytes: head.length });
    const longer = head.replace("X-Pad: ", "X-Pad: p");
    expectEverySplit(head + longer, failsAfter([200, true]), { maxHeadBytes: head.length });
  });
  test("an endless head is refused once it passes the limit, long before it ends", () => {
    const parser = new ResponseParser({ onResponse: () => {} }, { maxHeadBytes: 1024 });
    expect(parser.execute(bytes("HTTP/1.1 200 OK\r\n"))).toBe(0);
    const filler = bytes("X-Filler: " + "f".repeat(100) + "\r\n");
    let result = 0;
    let sent = 0;
    while (result === 0 && sent < 100_000) {
      result = parser.execute(filler);
      sent += filler.length;
    }
    expect(result).toBe(PARSE_ERROR);
    expect(sent).toBeLessThan(1200);
    expect(parser.errorReason).toContain("too large");
  });
  test("the default limit is 64 KiB", () => {
    const big = (n: number) => `HTTP/1.1 200 OK\r\nX-Big: ${"b".repeat(n)}\r\nContent-Length: 0\r\n\r\n`;
    const base = big(0).length;
    expect(feed(whole(bytes(big(64 * 1024 - base))))).toEqual(ok([200, true]));
    expect(feed(whole(bytes(big(64 * 1024 - base + 1))))).toEqual(failsAfter());
  });
});

describe("connectionClosed()", () => {
  const closed = (text: string, options: FeedOptions = {}) => {
    const outcome = feed(whole(bytes(text)), { ...options, close: true });
    for (let seed = 1; seed <= 20; seed++) {
      expect(feed(randomSplit(bytes(text), prng(seed)), { ...options, close: true })).toEqual(outcome);
    }
    return outcome;
  };
  test("on a fresh parser: false", () => expect(closed("")).toEqual({ responses: [], error: 0, cutShort: false }));
  test("between responses: false", () => expect(closed(OK_2 + OK_2)).toEqual({ responses: [[200, true], [200, true]], error: 0, cutShort: false }));
  test("after a stray empty line between responses: false", () => expect(closed(OK_2 + "\r\n")).toEqual({ responses: [[200, true]], error: 0, cutShort: false }));
  test("after the first byte of a status line: true", () => expect(closed(OK_2 + "H")).toEqual({ responses: [[200, true]], error: 0, cutShort: true }));
  test("mid-head: true", () => expect(closed("HTTP/1.1 200 OK\r\nContent-Len")).toEqual({ responses: [], error: 0, cutShort: true }));
  test("after the head, before a Content-Length body: true", () => expect(closed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")).toEqual({ responses: [], error: 0, cutShort: true }));
  test("mid Content-Length body: true", () => expect(closed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no")).toEqual({ responses: [], error: 0, cutShort: true }));
  test("mid chunked body or trailers: true", () => {
    expect(closed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")).toEqual({ responses: [], error: 0, cutShort: true });
    expect(closed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n")).toEqual({ responses: [], error: 0, cutShort: true });
  });
  test("a close-delimited body: false, and the response is reported", () =>
    expect(closed("HTTP/1.1 500 Oops\r\n\r\nsomething broke")).toEqual({ responses: [[500, false]], error: 0, cutShort: false }));
  test("a HEAD response without a length is complete at its head: false", () =>
    expect(closed("HTTP/1.1 200 OK\r\n\r\n", { headRequests: true })).toEqual({ responses: [[200, true]], error: 0, cutShort: false }));
  test("after 101 Switching Protocols: false, the response was reported", () =>
    expect(closed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00")).toEqual({ responses: [[101, false]], error: 0, cutShort: false }));
  test("after a parse error: false, the error was already reported", () =>
    expect(closed("HTTP/9 200 OK\r\n\r\n")).toEqual({ responses: [], error: PARSE_ERROR, cutShort: false }));
  test("leaves the parser ready for the next connection", () => {
    const responses: Response[] = [];
    const parser = new ResponseParser({ onResponse: (s, k) => void responses.push([s, k]) });
    parser.execute(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    expect(parser.connectionClosed()).toBe(true);
    expect(parser.idle).toBe(true);
    expect(parser.execute(bytes(OK_2))).toBe(0);
    expect(responses).toEqual([[200, true]]);
    expect(parser.connectionClosed()).toBe(false);
  });
});

describe("state and reset", () => {
  test("idle is true exactly between responses", () => {
    const parser = new ResponseParser({ onResponse: () => {} });
    const seen: boolean[] = [];
    seen.push(parser.idle);
    for (const byte of bytes("HTTP/1.1 100 Continue\r\n\r\n" + OK_2 + "\r\n")) {
      parser.execute(Uint8Array.of(byte));
      seen.push(parser.idle);
    }
    const total = "HTTP/1.1 100 Continue\r\n\r\n".length + OK_2.length;
    expect(seen.slice(1, total).every((idle) => !idle)).toBe(true);
    expect(seen[0]).toBe(true);
    expect(seen.slice(total)).toEqual([true, true, true]);
  });
  test("after an error input is ignored until reset()", () => {
    const responses: Response[] = [];
    const parser = new ResponseParser({ onResponse: (s, k) => void responses.push([s, k]) });
    expect(parser.execute(bytes("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"))).toBe(PARSE_ERROR);
    expect(parser.errorReason).toBe("invalid Content-Length");
    expect(parser.idle).toBe(false);
    expect(parser.execute(bytes(OK_2))).toBe(PARSE_ERROR);
    expect(responses).toEqual([]);
    parser.reset();
    expect(parser.errorReason).toBe("");
    expect(parser.execute(bytes(OK_2))).toBe(0);
    expect(responses).toEqual([[200, true]]);
  });
  test("reset() mid-response forgets it", () => {
    const responses: Response[] = [];
    const parser = new ResponseParser({ onResponse: (s, k) => void responses.push([s, k]) });
    parser.execute(bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 100\r\n\r\nabc"));
    parser.reset();
    expect(parser.idle).toBe(true);
    expect(parser.execute(bytes(OK_2))).toBe(0);
    expect(responses).toEqual([[200, true]]);
  });
  test("a sink that resets from onResponse stops the rest of the chunk", () => {
    const responses: Response[] = [];
    const parser: ResponseParser = new ResponseParser({
      onResponse: (s, k) => {
        responses.push([s, k]);
        parser.reset();
      },
    });
    expect(parser.execute(bytes(OK_2 + OK_2 + "garbage"))).toBe(0);
    expect(responses).toEqual([[200, true]]);
    expect(parser.idle).toBe(true);
  });
});

describe("property: random valid response streams at random splits", () => {
  test("report exactly the generated (status, keepAlive) sequence", () => {
    let responses = 0;
    let closeDelimited = 0;
    let headRuns = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rng = prng(seed);
      const stream = randomStream(rng);
      const expected: Outcome = { responses: stream.expected, error: 0, cutShort: false };
      const options: FeedOptions = { headRequests: stream.headRequests, close: true };
      const label = `seed ${seed}: ${JSON.stringify(new TextDecoder("latin1").decode(stream.data).slice(0, 300))}`;
      expect(feed(whole(stream.data), options), label).toEqual(expected);
      for (let split = 0; split < 5; split++) expect(feed(randomSplit(stream.data, rng), options), label).toEqual(expected);
      if (seed % 20 === 0) expect(feed(byteByByte(stream.data), options), label).toEqual(expected);
      // Without the close, a close-delimited last response is still pending, and nothing else is.
      const open = feed(randomSplit(stream.data, rng), { headRequests: stream.headRequests });
      expect(open.responses, label).toEqual(stream.endsWithClose ? stream.expected.slice(0, -1) : stream.expected);
      responses += stream.expected.length;
      closeDelimited += stream.endsWithClose ? 1 : 0;
      headRuns += stream.headRequests ? 1 : 0;
    }
    // The generator must actually exercise every kind of stream.
    expect(responses).toBeGreaterThan(1000);
    expect(closeDelimited).toBeGreaterThan(20);
    expect(headRuns).toBeGreaterThan(20);
  });

  test("a response cut anywhere before its end is reported as cut short", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rng = prng(seed);
      const stream = randomStream(rng);
      if (stream.endsWithClose) continue;
      const full = feed(whole(stream.data), { headRequests: stream.headRequests, close: true });
      expect(full.cutShort).toBe(false);
      // Keep at least one byte of the last response, and drop at least its last byte.
      const lastStart = lastResponseStart(stream.data, stream.headRequests);
      const cut = lastStart + 1 + Math.floor(rng() * (stream.data.length - lastStart - 1));
      const outcome = feed(randomSplit(stream.data.subarray(0, cut), rng), { headRequests: stream.headRequests, close: true });
      expect(outcome, `seed ${seed}, cut at ${cut}`).toEqual({ responses: stream.expected.slice(0, -1), error: 0, cutShort: true });
    }
  });
});

/** Where the last response of a stream begins, found by feeding it byte by byte and noting when the parser goes idle for the last time. */
function lastResponseStart(data: Uint8Array, headRequests: boolean): number {
  const parser = new ResponseParser({ onResponse: () => {} });
  parser.headRequests = headRequests;
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (parser.idle && data[i] !== 0x0d && data[i] !== 0x0a) start = i;
    parser.execute(data.subarray(i, i + 1));
  }
  return start;
}

// ---------------------------------------------------------------------------------------------
// Real servers.

/** Sends `request` on a raw connection and collects every packet until the server closes it. */
function exchange(port: number, request: string): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const packets: Uint8Array[] = [];
    const timer = setTimeout(() => reject(new Error(`server did not close; got ${packets.length} packets`)), 5000);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(request);
        },
        data(_socket, data) {
          packets.push(new Uint8Array(data));
        },
        close() {
          clearTimeout(timer);
          resolve(packets);
        },
        error(_socket, error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    }).catch(reject);
  });
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
const concat = (packets: Uint8Array[]) => Buffer.concat(packets);
const text = (packets: Uint8Array[]) => concat(packets).toString("latin1");

/** Parses what a real server sent, as it arrived and at random splits, which must agree. */
function parseReal(packets: Uint8Array[], options: FeedOptions = {}): Outcome {
  const outcome = feed(packets, { ...options, close: true });
  const data = concat(packets);
  for (let seed = 1; seed <= 20; seed++) expect(feed(randomSplit(data, prng(seed)), { ...options, close: true })).toEqual(outcome);
  expect(feed(byteByByte(data), { ...options, close: true })).toEqual(outcome);
  return outcome;
}

describe("real servers", () => {
  const encoder = new TextEncoder();
  let bunServer: ReturnType<typeof Bun.serve>;
  let nodeServer: http.Server;
  let nodePort = 0;

  beforeAll(async () => {
    bunServer = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === "/stream") {
          return new Response(async function* () {
            yield encoder.encode("part");
            await Bun.sleep(1);
            yield encoder.encode("two");
          });
        }
        if (path === "/empty") return new Response(null, { status: 204 });
        if (path === "/not-modified") return new Response(null, { status: 304 });
        if (path === "/missing") return new Response("no such thing", { status: 404 });
        if (path === "/big") return new Response("x".repeat(200_000));
        return new Response("hello");
      },
    });
    nodeServer = http.createServer((request, response) => {
      if (request.url === "/early") response.writeEarlyHints({ link: "</style.css>; rel=preload" });
      // Several writes before end(): the response streams, so it is chunked for HTTP/1.1.
      response.write("a");
      response.write("bb");
      response.end("ccc");
    });
    await new Promise<void>((resolve) => nodeServer.listen(0, "127.0.0.1", resolve));
    nodePort = (nodeServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    bunServer.stop(true);
    await new Promise((resolve) => nodeServer.close(resolve));
  });

  test("Bun.serve: pipelined Content-Length, 204, 304, 404 and a large body", async () => {
    const packets = await exchange(
      bunServer.port!,
      get("/") + get("/empty") + get("/not-modified") + get("/missing") + get("/big") + get("/", "Connection: close\r\n"),
    );
    const outcome = parseReal(packets);
    expect(outcome.error).toBe(0);
    expect(outcome.cutShort).toBe(false);
    expect(outcome.responses.map(([status]) => status)).toEqual([200, 204, 304, 404, 200, 200]);
    expect(outcome.responses.slice(0, 5).every(([, keepAlive]) => keepAlive)).toBe(true);
  });

  test("Bun.serve: a streamed (chunked) body", async () => {
    const packets = await exchange(bunServer.port!, get("/stream", "Connection: close\r\n"));
    expect(text(packets).toLowerCase()).toContain("transfer-encoding: chunked");
    const outcome = parseReal(packets);
    expect(outcome.error).toBe(0);
    expect(outcome.cutShort).toBe(false);
    expect(outcome.responses.map(([status]) => status)).toEqual([200]);
  });

  test("Bun.serve: HEAD responses carry framing fields but no body", async () => {
    const head = (path: string, extra = "") => `HEAD ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
    const packets = await exchange(bunServer.port!, head("/") + head("/big") + head("/stream", "Connection: close\r\n"));
    const outcome = parseReal(packets, { headRequests: true });
    expect(outcome.error).toBe(0);
    expect(outcome.cutShort).toBe(false);
    expect(outcome.responses.map(([status]) => status)).toEqual([200, 200, 200]);
    // Read as answers to GET, the first Content-Length would swallow the next status line.
    expect(feed(packets, { close: true }).error).toBe(PARSE_ERROR);
  });

  test("node:http: res.write() several times gives a chunked body; keep-alive then close", async () => {
    const packets = await exchange(nodePort, get("/") + get("/") + get("/", "Connection: close\r\n"));
    expect(text(packets)).toContain("1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n");
    expect(parseReal(packets)).toEqual({ responses: [[200, true], [200, true], [200, false]], error: 0, cutShort: false });
  });

  test("node:http: 100 Continue and 103 Early Hints are skipped", async () => {
    const post = "POST / HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi";
    const packets = await exchange(nodePort, post + get("/early", "Connection: close\r\n"));
    expect(text(packets)).toContain("HTTP/1.1 100 Continue\r\n");
    expect(text(packets)).toContain("HTTP/1.1 103 Early Hints\r\n");
    expect(parseReal(packets)).toEqual({ responses: [[200, true], [200, false]], error: 0, cutShort: false });
  });

  test("node:http: an HTTP/1.0 request gets a body delimited by close", async () => {
    const packets = await exchange(nodePort, "GET / HTTP/1.0\r\nHost: test\r\n\r\n");
    expect(text(packets).toLowerCase()).not.toContain("content-length");
    expect(text(packets).toLowerCase()).not.toContain("transfer-encoding");
    expect(parseReal(packets)).toEqual({ responses: [[200, false]], error: 0, cutShort: false });
  });
});
