/**
 * RFC 9112 strictness, class by class, on both parsers where the class applies. The cases come
 * from the grammar (RFC 9110 §5.6, RFC 9112 §2–§7, RFC 3986 §3), several per class, so that a fix
 * holds for the class and not only for one example.
 */
import { describe, expect, test } from "bun:test";
import { REQUEST_CLOSE, REQUEST_HEAD } from "../../src/server/request-parser.ts";
import { parseRequests, parseResponses } from "./parsers.ts";

const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const served = (...flags: number[]) => ({ requests: flags, status: 0 });
const refused = (status = 400) => ({ requests: [], status });

/** A request with these header lines, followed by a GET that shows where the server thinks it ended. */
const withFields = (lines: string, target = "/") => `POST ${target} HTTP/1.1\r\n${lines}\r\n\r\n`;

describe("only SP and HTAB are whitespace around a value (RFC 9110 §5.6.3)", () => {
  // Bytes that String.prototype.trim() or a Unicode-aware reader would strip. NBSP and NEL are
  // obs-text, allowed inside a value but not whitespace; VT, FF and the separators 0x1c–0x1f are
  // control bytes, which no field value may hold.
  const lookalikes = ["\xa0", "\x85"];
  const controls = ["\x0b", "\x0c", "\x1c", "\x1f"];

  test("control bytes that look like whitespace make the field line invalid, on both sides", () => {
    for (const ws of controls) {
      for (const line of [`Transfer-Encoding: ${ws}chunked`, `Content-Length: 2${ws}`, `Connection: close${ws}`, `X-Other: ${ws}`]) {
        expect(parseRequests(withFields(`Host: x\r\n${line}`) + "ok" + GET)).toEqual(refused());
        expect(parseResponses(`HTTP/1.1 200 OK\r\n${line}\r\nContent-Length: 0\r\n\r\n`).error).toBe("control character in a header field value");
      }
    }
  });

  test("around chunked, the server refuses: the value is not chunked", () => {
    for (const ws of lookalikes) {
      for (const value of [`${ws}chunked`, `chunked${ws}`, ` ${ws}chunked${ws} `, `gzip,${ws}chunked`]) {
        expect(parseRequests(withFields(`Host: x\r\nTransfer-Encoding:${value}`) + "0\r\n\r\n" + GET), JSON.stringify(value)).toEqual(refused());
      }
    }
  });

  test("SP and HTAB around chunked are fine", () => {
    for (const value of [" chunked", "chunked \t", "\t gzip ,\tchunked\t", "Chunked"]) {
      expect(parseRequests(withFields(`Host: x\r\nTransfer-Encoding:${value}`) + "0\r\n\r\n" + GET)).toEqual(served(0, 0));
    }
  });

  test("around chunked, the client does not read chunks: the body runs until close, and the connection is not reused", () => {
    for (const ws of lookalikes) {
      const hidden = "0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      const outcome = parseResponses(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${ws}chunked${ws}\r\n\r\n${hidden}`, { close: true });
      expect(outcome).toEqual({ responses: ["200 close"], error: "" });
    }
  });

  test("around a Content-Length, both sides refuse", () => {
    for (const ws of lookalikes) {
      for (const value of [`${ws}2`, `2${ws}`]) {
        expect(parseRequests(withFields(`Host: x\r\nContent-Length: ${value}`) + "ok" + GET)).toEqual(refused());
        expect(parseResponses(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\nok`).error).toBe("invalid Content-Length");
      }
    }
  });

  test("around close, neither side reads a Connection option", () => {
    for (const ws of lookalikes) {
      expect(parseRequests(`GET / HTTP/1.1\r\nHost: x\r\nConnection: ${ws}close\r\n\r\n`)).toEqual(served(0));
      expect(parseResponses(`HTTP/1.1 200 OK\r\nConnection: close${ws}\r\nContent-Length: 0\r\n\r\n`).responses).toEqual(["200 keep-alive"]);
    }
  });

  test("around a Host value, the server refuses", () => {
    for (const ws of lookalikes) {
      expect(parseRequests(`GET / HTTP/1.1\r\nHost: ${ws}example.com\r\n\r\n`)).toEqual(refused());
      expect(parseRequests(`GET / HTTP/1.1\r\nHost: example.com${ws}\r\n\r\n`)).toEqual(refused());
    }
  });
});

describe("Host (RFC 9112 §3.2): one, valid, and required in HTTP/1.1", () => {
  const host = (value: string, version = "1.1") => parseRequests(`GET / HTTP/${version}\r\nHost: ${value}\r\n\r\n`);
  const valid = [
    "example.com",
    "example.com:8080",
    "EXAMPLE.com:",
    "127.0.0.1",
    "127.0.0.1:80",
    "[::1]",
    "[::1]:8080",
    "[2001:db8::192.0.2.1]:443",
    "[v1.fe80::a+en1]",
    "[::ffff:192.0.2.1]",
    "[::]",
    "[1:2:3:4:5:6:7:8]",
    "[VF.x:y]",
    "xn--bcher-kva.example",
    "a_b~c!$&'()*+,;=d",
    "caf%C3%A9.example",
    "",
    ":8080",
    "example.com \t",
    "h".repeat(1000),
  ];
  for (const value of valid) test(`${JSON.stringify(value.slice(0, 40))} is valid`, () => expect(host(value)).toEqual(served(0)));

  const invalid = [
    "a b",
    "a\tb",
    "a/b",
    "a?b",
    "a#b",
    "user@example.com",
    "user:pw@example.com",
    "example.com:80a",
    "example.com:80:90",
    "[::1",
    "[]",
    "[::1]x",
    "[zz::1]",
    "[example.com]",
    "[v]",
    "[v1]",
    "[v1.]",
    "[vx.a]",
    "[1234]",
    "[:]",
    "[::1%25eth0]",
    "::1]",
    "caf\xe9.example",
    'a"b',
    "a<b>",
    "a%zz",
    "a%4",
    "a\\b",
  ];
  for (const value of invalid) test(`${JSON.stringify(value)} is refused`, () => expect(host(value)).toEqual(refused()));

  test("missing in HTTP/1.1: refused; missing in HTTP/1.0: fine", () => {
    expect(parseRequests("GET / HTTP/1.1\r\n\r\n")).toEqual(refused());
    expect(parseRequests("GET / HTTP/1.1\r\nX-Host: x\r\n\r\n")).toEqual(refused());
    expect(parseRequests("GET / HTTP/1.0\r\n\r\n")).toEqual(served(REQUEST_CLOSE));
  });

  test("more than one: refused, whatever the values and the version", () => {
    expect(parseRequests("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")).toEqual(refused());
    expect(parseRequests("GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n")).toEqual(refused());
    expect(parseRequests("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")).toEqual(refused());
  });

  test("invalid in HTTP/1.0 too", () => expect(host("a b", "1.0")).toEqual(refused()));
});

describe("request-target (RFC 9112 §3.2, RFC 3986 §3)", () => {
  const target = (method: string, value: string) => parseRequests(`${method} ${value} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const valid: [string, string][] = [
    ["GET", "/"],
    ["GET", "/a/b/c.html"],
    ["GET", "/a/b?c=d&e=%20f"],
    ["GET", "/%7Euser/%e2%82%ac"],
    ["GET", "/:@!$&'()*+,;=-._~"],
    ["GET", "/?q=/a?b"],
    ["GET", "//double//slashes"],
    ["GET", "/?"],
    ["GET", "http://example.com/x?y=z"],
    ["GET", "http://example.com"],
    ["GET", "http://example.com?x"],
    ["GET", "https://example.com:8443/"],
    ["GET", "http://[::1]:8080/"],
    ["GET", "HTTP://Example.COM/"],
    ["OPTIONS", "*"],
    ["OPTIONS", "/"],
  ];
  for (const [method, value] of valid) {
    test(`${method} ${value} is served`, () => expect(target(method, value)).toEqual(served(0)));
  }

  // Authority-form is CONNECT's, which this server, not being a proxy, refuses once the head is read.
  for (const value of ["example.com:443", "[::1]:443", "127.0.0.1:8080"]) {
    test(`CONNECT ${value} is well-formed, and answered 501`, () => {
      expect(target("CONNECT", value)).toEqual(refused(501));
      expect(parseRequests(`CONNECT ${value} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`)).toEqual(refused(501));
    });
  }

  const invalid: [string, string][] = [
    ["GET", "/test.cgi?query=|"],
    ["GET", "/caf\xc3\xa9"],
    ["GET", "/\x80"],
    ["GET", "/\xff"],
    ["GET", "/a#fragment"],
    ["GET", "/#"],
    ["GET", '/a"b'],
    ["GET", "/a<b>"],
    ["GET", "/a\\b"],
    ["GET", "/a^b"],
    ["GET", "/a`b"],
    ["GET", "/a{b}"],
    ["GET", "/a[b]"],
    ["GET", "/%zz"],
    ["GET", "/%4"],
    ["GET", "/%"],
    ["GET", "!"],
    ["GET", "a/b"],
    ["GET", "*"],
    ["GET", "**"],
    ["OPTIONS", "*x"],
    ["GET", "http://user@example.com/"],
    ["GET", "http://user:password@example.com/"],
    ["GET", "http://@example.com/"],
    ["GET", "http://"],
    ["GET", "http:///path"],
    ["GET", "http:/example.com/"],
    ["GET", "http:example.com"],
    ["GET", "1http://example.com/"],
    ["GET", "http://exa mple.com/"],
    ["GET", "http://example.com/a#b"],
    ["GET", "http://example.com:80a/"],
    ["GET", "example.com:443"],
    ["CONNECT", "/"],
    ["CONNECT", "example.com"],
    ["CONNECT", "example.com:"],
    ["CONNECT", "user@example.com:443"],
    ["CONNECT", "http://example.com/"],
  ];
  for (const [method, value] of invalid) {
    test(`${method} ${JSON.stringify(value)} is refused`, () => expect(target(method, value)).toEqual(refused()));
  }

  test("a control byte or DEL in a target is refused", () => {
    for (const c of ["\x00", "\x01", "\x1f", "\x7f", "\t"]) expect(target("GET", `/a${c}b`)).toEqual(refused());
  });
});

describe("a bare LF ending a line of the head: the server refuses (a bare CR too), the client reads it as a line end", () => {
  // The server: one request hidden in a field value, for a proxy that reads LF as part of the value.
  const server = [
    "GET / HTTP/1.1\r\nHost: x\r\nDummy: x\nContent-Length: 23\r\n\r\nGET / HTTP/1.1\r\nX: y\r\n\r\n",
    "GET / HTTP/1.1\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n\n",
    "GET / HTTP/1.1\nHost: x\n\n",
    "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "\rGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nX: a\rContent-Length: 1\r\n\r\n",
    `${GET}\n${GET}`,
  ];
  for (const text of server) {
    test(`server: ${JSON.stringify(text.slice(0, 48))}`, () => {
      const outcome = parseRequests(text);
      expect(outcome.status).toBe(400);
      expect(outcome.requests.length).toBeLessThanOrEqual(1);
    });
  }

  test("server: a CRLF between requests is still ignored", () => expect(parseRequests(`\r\n${GET}\r\n\r\n${GET}`)).toEqual(served(0, 0)));

  test("client: a response never goes on to an intermediary, so RFC 9112 §2.2's allowance is taken", () => {
    expect(parseResponses("HTTP/1.1 200 OK\nContent-Length: 2\n\nok").responses).toEqual(["200 keep-alive"]);
    expect(parseResponses("HTTP/1.1 200 OK\r\nX: a\nContent-Length: 2\r\n\r\nok").responses).toEqual(["200 keep-alive"]);
    expect(parseResponses("HTTP/1.1 200 OK\r\nConnection: close\n\nHTTP/1.1 200 OK\r\n", { close: true }).responses).toEqual(["200 close"]);
  });
});

describe("HTTP versions (RFC 9110 §2.5): HTTP/1.x for any x is HTTP/1, another major is not", () => {
  test("server: HTTP/1.2 to HTTP/1.9 are served as HTTP/1.1 (kept alive, Host required)", () => {
    for (let minor = 2; minor <= 9; minor++) {
      expect(parseRequests(`GET / HTTP/1.${minor}\r\nHost: x\r\n\r\nHEAD / HTTP/1.${minor}\r\nHost: x\r\n\r\n`)).toEqual(served(0, REQUEST_HEAD));
      expect(parseRequests(`GET / HTTP/1.${minor}\r\n\r\n`)).toEqual(refused());
    }
  });

  test("server: another major version is 505", () => {
    for (const version of ["HTTP/0.9", "HTTP/2.0", "HTTP/3.0", "HTTP/9.1"]) {
      expect(parseRequests(`GET / ${version}\r\nHost: x\r\n\r\n`)).toEqual(refused(505));
    }
  });

  test("server: what is not HTTP-version syntax is 400", () => {
    for (const version of ["HTTP/1.10", "HTTP/11", "HTTP/1", "HTTP/1.", "http/1.1", "HTTP/1.1 ", "HTTP /1.1", "HTTP/2"]) {
      expect(parseRequests(`GET / ${version}\r\nHost: x\r\n\r\n`), version).toEqual(refused());
    }
  });

  test("client: HTTP/1.2 to HTTP/1.9 are read as HTTP/1.1; another major is a parse error", () => {
    for (let minor = 2; minor <= 9; minor++) {
      expect(parseResponses(`HTTP/1.${minor} 200 OK\r\nContent-Length: 0\r\n\r\n`).responses).toEqual(["200 keep-alive"]);
    }
    for (const version of ["HTTP/0.9", "HTTP/2.0", "HTTP/3.0"]) {
      expect(parseResponses(`${version} 200 OK\r\nContent-Length: 0\r\n\r\n`).error).toBe("not an HTTP/1.x status line");
    }
  });
});

describe("Transfer-Encoding on the server: chunked last, once, and tokens only", () => {
  const te = (value: string) => parseRequests(withFields(`Host: x\r\nTransfer-Encoding: ${value}`) + "0\r\n\r\n" + GET);
  for (const value of ["chunked", "CHUNKED", "gzip, chunked", "gzip,chunked", ", chunked", "gzip, , chunked"]) {
    test(`${JSON.stringify(value)} is chunked`, () => expect(te(value)).toEqual(served(0, 0)));
  }
  for (const value of ["", "chunked, gzip", "chunked, chunked", "chunked;a=b", "gzip;q=1, chunked", "chunk", "chunkedx", "x-chunked", '"chunked"', "chunked\x01"]) {
    test(`${JSON.stringify(value)} is refused`, () => expect(te(value)).toEqual(refused()));
  }
  test("two Transfer-Encoding fields are refused", () =>
    expect(parseRequests(withFields("Host: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked") + "0\r\n\r\n")).toEqual(refused()));
});
