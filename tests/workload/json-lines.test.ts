import { describe, expect, test } from "bun:test";
import { decode, refusal, target } from "./decode.ts";

/** vegeta's JSON targets format: one object a line, bodies in base64. */

describe("vegeta's JSON format", () => {
  test("method, url, header lists in order and base64 bodies, byte for byte", () => {
    const text = [
      '{"method":"POST","url":"https://goku/1","header":{"Content-Type":["text/plain"],"X-Many":["a","b"]},"body":"Rk9P"}',
      "",
      '  {"method":"GET",  "url":"http://goku/2"}  ',
      '{"method":"PUT","url":"http://goku/3","body":"AAH/DQo="}',
    ].join("\n");
    expect(decode(text)).toEqual([
      target("POST", "https://goku/1", { headers: [["Content-Type", "text/plain"], ["X-Many", "a"], ["X-Many", "b"]], body: "FOO" }),
      target("GET", "http://goku/2"),
      target("PUT", "http://goku/3", { body: "\x00\x01\xff\r\n" }),
    ]);
  });

  test("unknown fields are skipped as vegeta skips them; name and weight are ours; null means absent", () => {
    const text = '{"method":"GET","url":"http://a/","extra":{"x":[1]},"name":"home","weight":4,"header":null,"body":null}';
    expect(decode(text)).toEqual([target("GET", "http://a/", { name: "home", weight: 4 })]);
  });

  test("the command line's headers come first; an empty body means the command line's", () => {
    const defaults = { method: "GET", headers: [["X-Global", "g"]] as [string, string][], body: new Uint8Array([0x68, 0x69]) };
    expect(decode('{"method":"POST","url":"http://a/","header":{"X-Own":["o"]},"body":""}', "json", defaults)).toEqual([
      target("POST", "http://a/", { headers: [["X-Global", "g"], ["X-Own", "o"]], body: "hi" }),
    ]);
  });

  test("a last line without a newline is read", () => {
    expect(decode('{"method":"GET","url":"http://a/1"}\n{"method":"GET","url":"http://a/2"}')).toHaveLength(2);
  });
});

describe("a wrong JSON targets file is refused with FILE:LINE and what was expected", () => {
  const cases: [string, string, string][] = [
    ["not JSON", '{"method":"GET",', 'targets.txt:1: expected a JSON object {"method", "url", "header", "body"}: '],
    ["a list", '{"method":"GET","url":"http://a/"}\n[1]', 'targets.txt:2: expected a JSON object {"method", "url", "header", "body"}, got [1]'],
    ["no method", '{"url":"http://a/"}', 'targets.txt:1: expected "method", a non-empty string'],
    ["no url", '{"method":"GET"}', 'targets.txt:1: expected "url", a non-empty string'],
    ["a method that is not a token", '{"method":"G T","url":"http://a/"}', 'targets.txt:1: expected an HTTP method (a token such as GET), got "G T"'],
    ["another scheme", '{"method":"GET","url":"ws://a/"}', 'targets.txt:1: expected an http:// or https:// URL, got "ws://a/"'],
    ["a header value that is no list", '{"method":"GET","url":"http://a/","header":{"A":"b"}}', 'targets.txt:1: expected "header"."A" to be a list of strings'],
    ["a body that is not base64", '{"method":"GET","url":"http://a/","body":"Rk9"}', 'targets.txt:1: expected "body" to be standard base64 (A–Z a–z 0–9 + /, padded with =)'],
    ["URL-safe base64", '{"method":"GET","url":"http://a/","body":"-_8="}', 'targets.txt:1: expected "body" to be standard base64 (A–Z a–z 0–9 + /, padded with =)'],
    ["a comment, which vegeta does not read either", '# @name x\n{"method":"GET","url":"http://a/"}', 'targets.txt:1: expected a JSON object {"method", "url", "header", "body"}: '],
  ];
  for (const [what, text, message] of cases) {
    test(what, () => expect(refusal(text, "json")).toStartWith(message));
  }
});
