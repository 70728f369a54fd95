import { describe, expect, test } from "bun:test";
import { detectFormat } from "../../src/workload/targets.ts";
import { decode, refusal, target } from "./decode.ts";

describe("a URL list", () => {
  test("one URL a line with the command line's method, headers and body; blank lines and comments skipped", () => {
    const defaults = { method: "POST", headers: [["X-A", "1"]] as [string, string][], body: new Uint8Array([0x7b, 0x7d]) };
    expect(decode("http://a/1\n\n# a comment\n  https://b:8443/2?x=y  \r\n", "urls", defaults)).toEqual([
      target("POST", "http://a/1", { headers: [["X-A", "1"]], body: "{}" }),
      target("POST", "https://b:8443/2?x=y", { headers: [["X-A", "1"]], body: "{}" }),
    ]);
  });

  test("# @name and # @weight apply to the next URL only", () => {
    expect(decode("# @name first\n# @weight 7\nhttp://a/1\nhttp://a/2\n")).toEqual([
      target("GET", "http://a/1", { name: "first", weight: 7 }),
      target("GET", "http://a/2"),
    ]);
  });

  test("a line that is no http(s) URL is refused with its line", () => {
    expect(refusal("http://a/1\nhttp://a/2\nmailto:x@y\n", "urls")).toBe('targets.txt:3: expected an http:// or https:// URL, got "mailto:x@y"');
    expect(refusal("http://a/1\nhttp://a/2 http://a/3\n", "urls")).toBe('targets.txt:2: expected an http:// or https:// URL, got "http://a/2 http://a/3"');
  });
});

describe("the format is detected from the first line that is neither blank nor a comment", () => {
  test.each([
    ['\n# c\n{"method":"GET","url":"http://a/"}', "json"],
    ["# @name x\nGET http://a/", "http"],
    ["  \n\tPOST http://a/", "http"],
    ["http://a/\n", "urls"],
    ["# only comments", "urls"],
    ["", "urls"],
  ] as const)("%j is %s", (text, format) => {
    expect(detectFormat(text)).toBe(format);
  });

  test("detected files decode as their format", () => {
    expect(decode("# @weight 2\nGET http://a/x\n")).toEqual([target("GET", "http://a/x", { weight: 2 })]);
    expect(decode('{"method":"HEAD","url":"http://a/y"}')).toEqual([target("HEAD", "http://a/y")]);
    expect(decode("http://a/z")).toEqual([target("GET", "http://a/z")]);
  });
});
