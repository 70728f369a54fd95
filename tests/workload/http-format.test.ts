import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { UsageError } from "../../src/errors.ts";
import { tempDir } from "../support/temp-dir.ts";
import { decode, refusal, target } from "./decode.ts";

/** vegeta's HTTP targets format: what each file decodes to, and how a wrong one is refused. */

const dir = tempDir("http-targets");
const bodyFile = join(dir, "thing.json");
writeFileSync(bodyFile, '{"a":1}\n');
const binaryFile = join(dir, "blob.bin");
writeFileSync(binaryFile, Uint8Array.from([0, 1, 0xff, 0x0d, 0x0a]));

describe("vegeta's HTTP format", () => {
  test("targets with headers, bodies, comments and blank lines between them", () => {
    const text = [
      "# get a dragon ball",
      "GET http://goku:9090/path/to/dragon?item=ball",
      "# specify a test account",
      "X-Account-ID: 99",
      "",
      "DELETE http://goku:9090/path/to/remove",
      "Confirmation-Token: 90215",
      "Authorization: Token DEADBEEF",
      "",
      "",
      "POST http://goku:9090/things",
      "X-Header: 1",
      "X-Header: 2",
      `@${bodyFile}`,
      "",
      "PUT https://goku/blob",
      `@${binaryFile}`,
    ].join("\n");
    expect(decode(text)).toEqual([
      target("GET", "http://goku:9090/path/to/dragon?item=ball", { headers: [["X-Account-ID", "99"]] }),
      target("DELETE", "http://goku:9090/path/to/remove", {
        headers: [
          ["Confirmation-Token", "90215"],
          ["Authorization", "Token DEADBEEF"],
        ],
      }),
      target("POST", "http://goku:9090/things", {
        headers: [
          ["X-Header", "1"],
          ["X-Header", "2"],
        ],
        body: '{"a":1}\n',
      }),
      target("PUT", "https://goku/blob", { body: "\x00\x01\xff\r\n" }),
    ]);
  });

  test("a target line right after another needs no blank line; any capitalised method is one", () => {
    expect(decode("GET http://a/1\nHEAD http://a/2\r\nSUBSCRIBE http://a/3\n")).toEqual([
      target("GET", "http://a/1"),
      target("HEAD", "http://a/2"),
      target("SUBSCRIBE", "http://a/3"),
    ]);
  });

  test("lines are trimmed, CRLF endings too; header names keep their case and values their inner spaces", () => {
    expect(decode("  GET http://a/x  \r\n\tx-lower-CASE :  a  b \r\n\r\n")).toEqual([target("GET", "http://a/x", { headers: [["x-lower-CASE", "a  b"]] })]);
  });

  test("a body path is read relative to the current directory, as vegeta reads it", () => {
    expect(decode(`POST http://a/\n@${relative(process.cwd(), bodyFile)}\n`)).toEqual([target("POST", "http://a/", { body: '{"a":1}\n' })]);
  });

  test("the command line's headers come first and its body is the default", () => {
    const defaults = { method: "GET", headers: [["X-Global", "g"]] as [string, string][], body: new Uint8Array([0x68, 0x69]) };
    expect(decode(`GET http://a/1\nX-Own: o\n\nPOST http://a/2\n@${bodyFile}\n`, "http", defaults)).toEqual([
      target("GET", "http://a/1", { headers: [["X-Global", "g"], ["X-Own", "o"]], body: "hi" }),
      target("POST", "http://a/2", { headers: [["X-Global", "g"]], body: '{"a":1}\n' }),
    ]);
  });

  test("# @name and # @weight name and weigh the target they precede or sit in", () => {
    const text = "# @name login\n# @weight 5\nPOST http://a/login\n\nGET http://a/home\n# @weight 3\n\n# plain comment\nGET http://a/other\n";
    expect(decode(text)).toEqual([
      target("POST", "http://a/login", { name: "login", weight: 5, headers: [] }),
      target("GET", "http://a/home", { weight: 3 }),
      target("GET", "http://a/other"),
    ]);
  });
});

describe("a wrong HTTP targets file is refused with FILE:LINE and what was expected", () => {
  const cases: [string, string, string][] = [
    ["a lower-case method", "\n\nget http://a/", 'targets.txt:3: expected a target "METHOD URL" with the method in capitals, got "get http://a/"'],
    ["a target line without URL", "GET", 'targets.txt:1: expected a target "METHOD URL" with the method in capitals, got "GET"'],
    ["a relative URL", "GET /path", 'targets.txt:1: expected an http:// or https:// URL, got "/path"'],
    ["another scheme", "GET ftp://a/file", 'targets.txt:1: expected an http:// or https:// URL, got "ftp://a/file"'],
    ["a URL with a space", "GET http://a/b c", 'targets.txt:1: expected an http:// or https:// URL, got "http://a/b c"'],
    ["a header without colon", "GET http://a/\nAuthorization", 'targets.txt:2: expected a header "Name: value", got "Authorization"'],
    ["a header without value", "GET http://a/\nAuthorization:", 'targets.txt:2: expected a header "Name: value", got "Authorization:"'],
    ["a header without name", "GET http://a/\n: 1234", 'targets.txt:2: expected a header "Name: value", got ": 1234"'],
    ["a header name with a space", "GET http://a/\nx y: 1", 'targets.txt:2: expected a header "Name: value" whose name is a token, got "x y"'],
    [
      "a target after a comment without a blank line",
      "GET http://a/1\n# next\nGET http://a/2",
      'targets.txt:3: expected a header "Name: value", a @body line or a blank line before the next target, got "GET http://a/2"',
    ],
    ["a header after the body line", `POST http://a/\n@${bodyFile}\nX: 1`, 'targets.txt:3: expected a target "METHOD URL" with the method in capitals, got "X: 1"'],
    ["an unknown extension", "# @wieght 5\nGET http://a/", 'targets.txt:1: expected "# @name NAME" or "# @weight N", got "# @wieght 5"'],
    ["a zero weight", "# @weight 0\nGET http://a/", 'targets.txt:1: expected a weight from 1 to 1,000,000, got "0"'],
    ["a Transfer-Encoding header", "POST http://a/\nTransfer-Encoding: chunked", "targets.txt:2: expected no Transfer-Encoding header: bodies are sent with Content-Length"],
    ["a malformed placeholder", "GET http://a/{{seq:99}}", "targets.txt:1: expected {{seq:N}} with N from 1 to 15, got {{seq:99}}"],
    ["an empty file", "", "targets.txt:1: expected at least one target, the file has none"],
    ["a file of comments", "# nothing\n\n# here\n", "targets.txt:3: expected at least one target, the file has none"],
  ];
  for (const [what, text, message] of cases) {
    test(what, () => expect(refusal(text, "http")).toBe(message));
  }

  test("a missing body file names the line and the file", () => {
    const missing = join(dir, "missing.json");
    expect(refusal(`POST http://a/\n@${missing}`)).toStartWith(`targets.txt:2: expected a readable body file, cannot read ${JSON.stringify(missing)}: `);
  });

  test("the refusal is a usage error: exit 2", () => {
    expect(() => decode("GET")).toThrow(UsageError);
  });
});
