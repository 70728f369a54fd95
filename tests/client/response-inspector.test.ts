import { describe, expect, test } from "bun:test";
import { ResponseParser, type ResponseInspector } from "../../src/client/response-parser.ts";
import { byteByByte, bytes, prng, randomSplit, whole } from "./response-harness.ts";

/**
 * What the parser shows response checks: every field (name, and value without the whitespace
 * around it) and the body's content without chunk framing, whatever the packets, and nothing of
 * a response once the next head begins. Fed whole, byte by byte and cut at random.
 */

interface Seen {
  fields: string[];
  body: string;
}

/** The fields and body content shown for each final response, in order. */
function inspect(chunks: Uint8Array[], options: { fields?: boolean; body?: boolean; longest?: number; head?: boolean } = {}): Seen[] {
  const seen: Seen[] = [];
  let current: Seen = { fields: [], body: "" };
  const text = (data: Uint8Array, from: number, to: number) => String.fromCharCode(...data.subarray(from, to));
  const inspector: ResponseInspector = {
    startHead: () => (current = { fields: [], body: "" }),
    field: (data, nameFrom, nameTo, valueFrom, valueTo) => current.fields.push(`${text(data, nameFrom, nameTo)}=${text(data, valueFrom, valueTo)}`),
    content: (data, from, to) => (current.body += text(data, from, to)),
  };
  const parser = new ResponseParser({ onResponse: () => seen.push(current) });
  parser.headRequests = options.head ?? false;
  parser.watch(inspector, options.fields ?? true, options.body ?? true, options.longest ?? 256);
  for (const chunk of chunks) expect(parser.execute(chunk)).toBe(0);
  parser.connectionClosed();
  return seen;
}

function expectEverySplit(stream: string, expected: Seen[], options: Parameters<typeof inspect>[1] = {}): void {
  const data = bytes(stream);
  expect(inspect(whole(data), options)).toEqual(expected);
  expect(inspect(byteByByte(data), options)).toEqual(expected);
  const rng = prng(7);
  for (let i = 0; i < 20; i++) expect(inspect(randomSplit(data, rng), options)).toEqual(expected);
}

describe("fields shown to the inspector", () => {
  test("each field once, its value without surrounding whitespace, per response", () => {
    const stream = "HTTP/1.1 200 OK\r\nX-A:  one \r\nContent-Length: 2\r\nX-Empty:\r\n\r\nokHTTP/1.1 404 Not Found\r\nx-b:\ttwo\r\nContent-Length: 0\r\n\r\n";
    expectEverySplit(stream, [
      { fields: ["X-A=one", "Content-Length=2", "X-Empty="], body: "ok" },
      { fields: ["x-b=two", "Content-Length=0"], body: "" },
    ]);
  });

  test("an interim 1xx's fields are forgotten when the final head begins", () => {
    expectEverySplit("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n", [{ fields: ["X-A=1", "Content-Length=0"], body: "" }]);
  });

  test("a field longer than the longest the inspector can match is not shown", () => {
    const stream = `HTTP/1.1 200 OK\r\nX-Long: ${"v".repeat(40)}\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n`;
    // Whole in one read the parser shows every field; cut across reads it keeps at most `longest` bytes of one.
    expect(inspect(byteByByte(bytes(stream)), { longest: 16 })).toEqual([{ fields: ["X-A=1", "Content-Length=0"], body: "" }]);
  });

  test("without fields asked for, none are shown", () => {
    expect(inspect(whole(bytes("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok")), { fields: false })).toEqual([{ fields: [], body: "ok" }]);
  });
});

describe("body content shown to the inspector", () => {
  test("chunked: the data without sizes, extensions, CRLFs or trailers", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n", [
      { fields: ["Transfer-Encoding=chunked"], body: "abcde" },
    ], { fields: true });
  });

  test("until the connection closes", () => {
    expectEverySplit("HTTP/1.1 200 OK\r\n\r\nall of it", [{ fields: [], body: "all of it" }]);
  });

  test("a response to HEAD has none, whatever its Content-Length", () => {
    expect(inspect(byteByByte(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")), { head: true })).toEqual([
      { fields: ["Content-Length=5"], body: "" },
      { fields: ["Content-Length=5"], body: "" },
    ]);
  });

  test("without a body check, no content is shown", () => {
    expect(inspect(whole(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), { body: false })).toEqual([{ fields: ["Content-Length=2"], body: "" }]);
  });
});
