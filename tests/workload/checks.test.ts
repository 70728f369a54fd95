import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { BodyNeedle, HeaderExpectation, ResponseChecks, StatusSet } from "../../src/workload/checks.ts";

const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));

describe("--expect-status", () => {
  test("codes and classes", () => {
    const set = new StatusSet("200, 204,3xx");
    expect([200, 204, 300, 304, 399].every((s) => set.has(s))).toBe(true);
    expect([201, 299, 400, 404, 500, 199, 600, 999].some((s) => set.has(s))).toBe(false);
  });

  test.each(["", "20", "2xx,abc", "600", "099", "6xx", "200;204"])("%j is refused naming the flag", (text) => {
    expect(() => new StatusSet(text)).toThrow(UsageError);
    expect(() => new StatusSet(text)).toThrow(/^--expect-status: expected status codes or classes such as 200,204 or 2xx/);
  });
});

describe("--expect-body: a substring found across any split of the body", () => {
  /** Feeds `body` in pieces of `size` bytes; whether the needle was found. */
  function found(needle: BodyNeedle, body: string, size: number): boolean {
    const data = bytes(body);
    let state = 0;
    for (let at = 0; at < data.length; at += size) state = needle.advance(state, data, at, Math.min(at + size, data.length));
    return state === needle.found;
  }

  const cases: [string, string, boolean][] = [
    ["ok", "ok", true],
    ["ok", '{"status":"ok"}', true],
    ["ok", "o k", false],
    ["aab", "aaab", true],
    ["abab", "abaabab", true],
    ["abcabd", "abcabcabd", true],
    ["abcabd", "abcabcab", false],
    ["aaaa", "aaabaaa", false],
    ["needle", "", false],
  ];
  for (const [needle, body, expected] of cases) {
    test(`${JSON.stringify(needle)} in ${JSON.stringify(body)}: ${expected}, fed byte by byte and in every piece size`, () => {
      const matcher = new BodyNeedle(needle);
      for (let size = 1; size <= Math.max(body.length, 1); size++) expect(found(matcher, body, size)).toBe(expected);
    });
  }

  test("agrees with indexOf on random bodies over a small alphabet", () => {
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 300; round++) {
      const needle = Array.from({ length: 1 + (next() % 5) }, () => "ab"[next() % 2]).join("");
      const body = Array.from({ length: next() % 30 }, () => "ab"[next() % 2]).join("");
      expect(found(new BodyNeedle(needle), body, 1 + (next() % 4))).toBe(body.includes(needle));
    }
  });

  test("once found it stays found, and the bytes after are not read", () => {
    const needle = new BodyNeedle("ok");
    const state = needle.advance(0, bytes("ok"), 0, 2);
    expect(needle.advance(state, bytes("zzz"), 0, 3)).toBe(needle.found);
  });

  test("an empty text is refused", () => {
    expect(() => new BodyNeedle("")).toThrow("--expect-body: expected a non-empty text");
  });
});

describe("--expect-header", () => {
  const field = (line: string) => {
    const data = bytes(line);
    const colon = line.indexOf(":");
    return [data, 0, colon, colon + 2, line.length] as const;
  };

  test("the name in any case, the value exactly", () => {
    const expectation = new HeaderExpectation("Content-Type: application/json");
    expect(expectation.matches(...field("content-type: application/json"))).toBe(true);
    expect(expectation.matches(...field("CONTENT-TYPE: application/json"))).toBe(true);
    expect(expectation.matches(...field("Content-Type: application/JSON"))).toBe(false);
    expect(expectation.matches(...field("Content-Type: application/json; charset=utf-8"))).toBe(false);
    expect(expectation.matches(...field("Content-Typo: application/json"))).toBe(false);
  });

  test.each(["no colon", ": value", "bad name: x"])("%j is refused naming the flag", (text) => {
    expect(() => new HeaderExpectation(text)).toThrow(/^--expect-header: expected "Name: value"/);
  });
});

describe("the checks of a run and their failures", () => {
  test("each check a bit of the failures, in the order of the names status, body and header:NAME", () => {
    const checks = new ResponseChecks({ status: "2xx", body: "ok", headers: ["X-A: 1", "X-B: 2"] });
    const found = checks.body!.found;
    expect(checks.names).toEqual(["status", "body", "header:X-A", "header:X-B"]);
    expect(checks.failures(200, found, 0b11)).toBe(0);
    expect(checks.failures(500, found, 0b11)).toBe(0b0001);
    expect(checks.failures(200, 0, 0b01)).toBe(0b1010);
    expect(checks.failures(404, 0, 0b00)).toBe(0b1111);
  });

  test("header bits start at bit 0 without status and body checks, and all 30 fit", () => {
    const headers = Array.from({ length: 30 }, (_, i) => `X-${i}: v`);
    const checks = new ResponseChecks({ status: null, body: null, headers });
    expect(checks.failures(200, 0, (2 ** 30 - 1) | 0)).toBe(0);
    expect(checks.failures(200, 0, 0)).toBe(2 ** 30 - 1);
    const withBoth = new ResponseChecks({ status: "200", body: "x", headers });
    expect(withBoth.failures(500, 0, 0)).toBe(2 ** 32 - 1);
  });

  test("a field sets the bits of the expectations it meets", () => {
    const checks = new ResponseChecks({ status: null, body: null, headers: ["X-A: 1", "x-a: 1", "X-B: 2"] });
    const data = bytes("X-A: 1");
    expect(checks.matchField(data, 0, 3, 5, 6)).toBe(0b011);
  });

  test("a failed answer every 10th time is counted exactly", () => {
    const checks = new ResponseChecks({ status: "200", body: "ok", headers: [] });
    let failedResponses = 0;
    let bodyFailures = 0;
    for (let i = 1; i <= 1000; i++) {
      const wrong = i % 10 === 0;
      const body = bytes(wrong ? "error" : "ok");
      const state = checks.body!.advance(0, body, 0, body.length);
      const failures = checks.failures(wrong ? 503 : 200, state, 0);
      if (failures !== 0) failedResponses++;
      if (failures & 0b10) bodyFailures++;
    }
    expect(failedResponses).toBe(100);
    expect(bodyFailures).toBe(100);
  });

  test("no flags, no checks", () => {
    expect(new ResponseChecks({ status: null, body: null, headers: [] }).any).toBe(false);
  });
});
