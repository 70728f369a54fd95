import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../src/errors.ts";
import { PoolBuilder } from "../../src/workload/pool.ts";
import { mergeChecks } from "../../src/stats/merge.ts";
import { ScriptCheckCounts } from "../../src/stats/tally.ts";
import { ResponseCollector, ScriptCheck, WorkloadScript, parseFields } from "../../src/workload/script.ts";
import { NO_DEFAULTS, type TargetDefaults, type TargetSpec } from "../../src/workload/target-spec.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("script");
let written = 0;

/** A script file in the temp dir; each under a new name, as Bun caches a module by its path. */
function script(source: string, extension = "ts"): string {
  const path = join(dir, `workload-${++written}.${extension}`);
  writeFileSync(path, source);
  return path;
}

async function targetsOf(source: string, defaults: TargetDefaults = NO_DEFAULTS): Promise<TargetSpec[]> {
  const loaded = await WorkloadScript.load(script(source));
  const specs: TargetSpec[] = [];
  await loaded.targets(defaults, (spec) => specs.push(spec));
  return specs;
}

/** The message of the UsageError `promise` rejects with (the test fails on anything else). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

const wire = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("targets()", () => {
  test("sync or async, TypeScript or JavaScript: its targets encode as a targets file's would", async () => {
    const ts = `
      interface Target { method?: string; url: string; headers?: Record<string, string | string[]>; body?: string }
      export function targets(): Target[] {
        return [
          { url: "http://127.0.0.1:8080/a" },
          { method: "POST", url: "http://127.0.0.1:8080/b", headers: { "Content-Type": "application/json", "X-Two": ["1", "2"] }, body: '{"x":1}' },
        ];
      }`;
    const js = `export async function targets() { await Bun.sleep(1); return [{ url: "http://127.0.0.1:8080/a", name: "a", weight: 3 }, { url: "http://127.0.0.1:8080/c", body: new Uint8Array([104, 105]) }]; }`;
    const builder = new PoolBuilder(true);
    for (const spec of await targetsOf(ts)) builder.add(spec);
    const loaded = await WorkloadScript.load(script(js, "js"));
    await loaded.targets(NO_DEFAULTS, (spec) => builder.add(spec));
    const pool = builder.build();
    expect(Array.from({ length: pool.count }, (_, i) => wire(pool.request(i)))).toEqual([
      "GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      'POST /b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nX-Two: 1\r\nX-Two: 2\r\nContent-Length: 7\r\n\r\n{"x":1}',
      "GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      "GET /c HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 2\r\n\r\nhi",
    ]);
    expect(Array.from(pool.weights)).toEqual([1, 1, 3, 1]);
    expect(pool.names).toEqual(["a"]);
  });

  test("the command line's method, headers and body apply unless the target says otherwise", async () => {
    const defaults: TargetDefaults = { method: "PUT", headers: [["X-Token", "t"]], body: new Uint8Array([0x7a]) };
    const specs = await targetsOf(`export const targets = () => [{ url: "http://a/1" }, { url: "http://a/2", method: "GET", headers: { A: "b" }, body: "" }];`, defaults);
    expect(specs.map(({ method, headers, body }) => ({ method, headers, body: body && wire(body) }))).toEqual([
      { method: "PUT", headers: [["X-Token", "t"]], body: "z" },
      { method: "GET", headers: [["X-Token", "t"], ["A", "b"]], body: "" },
    ]);
  });

  test("a targets file's placeholders work in a script's targets", async () => {
    const [spec] = await targetsOf(`export const targets = () => [{ url: "http://a/u/{{seq:4}}", body: "{{uuid}}" }];`);
    const builder = new PoolBuilder(true);
    builder.add(spec!);
    const pool = builder.build();
    expect(wire(pool.request(0))).toBe("GET /u/0000 HTTP/1.1\r\nHost: a\r\nContent-Length: 36\r\n\r\n00000000-0000-4000-8000-000000000000");
    expect(Array.from(pool.patchStart)).toEqual([0, 6]);
  });

  test("loading does not call targets(); each call of targets() calls it once", async () => {
    const counter = join(dir, "calls.txt");
    writeFileSync(counter, "");
    const path = script(`import { appendFileSync } from "node:fs"; export function targets() { appendFileSync(${JSON.stringify(counter)}, "x"); return [{ url: "http://a/" }]; }`);
    const loaded = await WorkloadScript.load(path);
    expect(await Bun.file(counter).text()).toBe("");
    await loaded.targets(NO_DEFAULTS, () => {});
    expect(await Bun.file(counter).text()).toBe("x");
  });
});

describe("bad return values are refused with the script's FILE:LINE and where in the value", () => {
  const cases: [string, string, RegExp][] = [
    ["not an array", `export function targets() {\n  return { url: "http://a/" };\n}`, /:1: targets\(\): expected an array of targets, got \{"url":"http:\/\/a\/"\}$/],
    ["empty", `\nexport function targets() { return []; }`, /:2: targets\(\): expected at least one target, got an empty array$/],
    ["a promise in the list", `export const targets = () => [Promise.resolve(1)];`, /:1: targets\(\)\[0\]: expected a target \{url, method\?, headers\?, body\?, name\?, weight\?\}, got a Promise \(it must return at once, not be async\)$/],
    ["another scheme", `export function targets() { return [{ url: "http://a/" }, { url: "ftp://a/" }]; }`, /:1: targets\(\)\[1\]\.url: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/a\/"$/],
    ["no url", `export function targets() { return [{ method: "GET" }]; }`, /targets\(\)\[0\]\.url: expected a string, got undefined$/],
    ["a typo'd key", `export function targets() { return [{ url: "http://a/", header: {} }]; }`, /targets\(\)\[0\]: expected only url, method, headers, body, name and weight, got "header"$/],
    ["a bad method", `export function targets() { return [{ url: "http://a/", method: "GE T" }]; }`, /targets\(\)\[0\]\.method: expected an HTTP method \(a token such as GET\), got "GE T"$/],
    ["a bad header", `export function targets() { return [{ url: "http://a/", headers: { "X-A": "ok\\nInjected: 1" } }]; }`, /targets\(\)\[0\]\.headers\["X-A"\]: expected a header value without control characters/],
    ["a number header", `export function targets() { return [{ url: "http://a/", headers: { "X-A": 1 } }]; }`, /targets\(\)\[0\]\.headers\["X-A"\]: expected a string, got 1$/],
    ["a bad body", `export function targets() { return [{ url: "http://a/", body: 12 }]; }`, /targets\(\)\[0\]\.body: expected a string or a Uint8Array, got 12$/],
    ["a bad weight", `export function targets() { return [{ url: "http://a/", weight: 1.5 }]; }`, /targets\(\)\[0\]\.weight: expected a weight from 1 to 1,000,000, got "1.5"$/],
    ["a bad name", `export function targets() { return [{ url: "http://a/", name: "two words" }]; }`, /targets\(\)\[0\]\.name: expected a target name of 1 to 64 characters without spaces/],
    ["a bad placeholder", `export function targets() { return [{ url: "http://a/{{seq:99}}" }]; }`, /targets\(\)\[0\]\.url: expected \{\{seq:N\}\} with N from 1 to 15, got \{\{seq:99\}\}$/],
  ];
  for (const [what, source, message] of cases) {
    test(what, async () => {
      expect(await refusal(targetsOf(source))).toMatch(message);
    });
  }

  test("the message starts with the script as the user named it", async () => {
    const path = script(`// a comment\nexport async function targets() {\n  return "nope";\n}\n`);
    const loaded = await WorkloadScript.load(path);
    expect(await refusal(loaded.targets(NO_DEFAULTS, () => {}))).toBe(`${path}:2: targets(): expected an array of targets, got "nope"`);
  });
});

describe("script errors name FILE:LINE, never a stack", () => {
  test("a syntax error: Bun's position of it", async () => {
    const path = script(`export function targets() {\n  return [\n    { url: "http://a/" \n    { url: "x" },\n  ];\n}\n`);
    const message = await refusal(WorkloadScript.load(path));
    expect(message).toMatch(new RegExp(`^${escape(path)}:4:5: cannot be loaded: Expected "\\}" but found "\\{" \\(and \\d+ more\\)$`));
    expect(message).not.toContain("\n");
  });

  test("a throw in targets(): the line that threw", async () => {
    const path = script(`export function targets() {\n  const users = null;\n  throw new Error("no users file");\n}\n`);
    const loaded = await WorkloadScript.load(path);
    expect(await refusal(loaded.targets(NO_DEFAULTS, () => {}))).toBe(`${path}:3: targets() threw: no users file`);
  });

  test("a TypeError deep in a helper module: that module's line", async () => {
    const helper = join(dir, "helper.ts");
    writeFileSync(helper, `export function users(list?: { name: string }[]): string[] {\n  const names: string[] = [];\n  names.push(list!.map((u) => u.name).join());\n  return names;\n}\n`);
    const path = script(`import { users } from "./helper.ts";\nexport function targets() {\n  const list = users();\n  return list.map((u) => ({ url: "http://a/" + u }));\n}\n`);
    const loaded = await WorkloadScript.load(path);
    const message = await refusal(loaded.targets(NO_DEFAULTS, () => {}));
    expect(message).toMatch(new RegExp(`^${escape(helper)}:3: targets\\(\\) threw: TypeError: `));
  });

  test("a thrown non-Error: the function's declaration line", async () => {
    const path = script(`\n\nexport const targets = async () => {\n  throw "plain string";\n};\n`);
    const loaded = await WorkloadScript.load(path);
    expect(await refusal(loaded.targets(NO_DEFAULTS, () => {}))).toBe(`${path}:3: targets() threw: "plain string"`);
  });

  test("a module that throws while loading, and one that imports a missing file", async () => {
    const throws = script(`const x = 1;\nthrow new RangeError("bad setup");\nexport const targets = () => [];\n`);
    expect(await refusal(WorkloadScript.load(throws))).toBe(`${throws}:2: cannot be loaded: RangeError: bad setup`);
    const imports = script(`import { x } from "./not-there.ts";\nexport const targets = () => [x];\n`);
    expect(await refusal(WorkloadScript.load(imports))).toMatch(new RegExp(`^${escape(imports)}: cannot be loaded: .*not-there\\.ts`));
  });

  test("a missing file names the flag; a module without targets() or request() says what it exports", async () => {
    expect(await refusal(WorkloadScript.load(join(dir, "absent.ts")))).toMatch(/^--script: cannot read ".*absent\.ts": ENOENT/);
    const none = script(`export const target = () => [];\nexport const version = 2;\n`);
    expect(await refusal(WorkloadScript.load(none))).toBe(`${none}: expected the module to export a function targets(), it exports target, version`);
    const notFunction = script(`export const targets = [];\n`);
    expect(await refusal(WorkloadScript.load(notFunction))).toBe(`${notFunction}: expected the export "targets" to be a function, got object`);
  });
});

describe("pick(i)", () => {
  test("is given the request numbers of its thread and returns the target", async () => {
    const loaded = await WorkloadScript.load(script(`export const targets = () => [{ url: "http://a/" }];\nexport function pick(i: number) { return i % 3; }\n`));
    expect(loaded.hasPick).toBe(true);
    const picker = loaded.picker(3, 1, 2);
    expect(Array.from({ length: 5 }, () => picker.next())).toEqual([1, 0, 2, 1, 0]);
  });

  test("-1 ends the run; an index out of range, a fraction, a promise or a throw ends it too, with FILE:LINE kept", async () => {
    const stop = await WorkloadScript.load(script(`export const targets = () => [];\nexport const pick = (i: number) => (i < 2 ? i : -1);\n`));
    const stopping = stop.picker(2);
    expect([stopping.next(), stopping.next(), stopping.next()]).toEqual([0, 1, -1]);
    const cases: [string, RegExp][] = [
      ["(i: number) => i", /:2: pick\(3\): expected a target index from 0 to 2 \(or -1 to stop\), got 3$/],
      ["(i: number) => i / 2", /:2: pick\(1\): expected a target index from 0 to 2 \(or -1 to stop\), got 0.5$/],
      ["async (i: number) => 0", /:2: pick\(0\): expected a target index .* got a Promise \(it must return at once, not be async\)$/],
      ["(i: number) => { if (i === 2) throw new Error('boom'); return 0; }", /:2: pick\(2\) threw: boom$/],
    ];
    for (const [pick, message] of cases) {
      const loaded = await WorkloadScript.load(script(`export const targets = () => [];\nexport const pick = ${pick};\n`));
      const picker = loaded.picker(3);
      // The run ends (-1 from then on) and keeps the error to raise once its requests are answered.
      const picks = Array.from({ length: 5 }, () => picker.next());
      expect(picks.slice(picks.indexOf(-1))).toEqual(Array(5 - picks.indexOf(-1)).fill(-1));
      expect(picker.failure).toBeInstanceOf(UsageError);
      expect(picker.failure!.message).toMatch(message);
    }
  });
});

describe("check(response)", () => {
  const head = new Uint8Array(Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Id: 1\r\nx-id: 2\r\n\r\n", "latin1"));
  const body = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

  test("sees status, headers and body; true passes, false and a name fail, counted by name", async () => {
    const loaded = await WorkloadScript.load(
      script(`
        import type { ScriptResponse } from ${JSON.stringify(join(import.meta.dir, "../../src/workload/script.ts"))};
        export const targets = () => [{ url: "http://a/" }];
        export function check(r: ScriptResponse) {
          if (r.status !== 200) return "status";
          if (r.headers["x-id"] !== "1, 2" || r.headers["content-type"] !== "text/plain") return "headers";
          if (r.body === "") return false;
          return r.body.includes("ok") || "body";
        }`),
    );
    const check = loaded.check()!;
    const verdicts = [
      check.run(200, { head, body: body("ok, fine") }),
      check.run(500, { head, body: body("ok") }),
      check.run(200, { head, body: body("nope") }),
      check.run(200, { head, body: body("") }),
      check.run(200, { head, body: body("ok") }),
      check.run(503, { head, body: body("") }),
    ];
    expect(verdicts).toEqual([null, "status", "body", "", null, "status"]);
    const counts = new ScriptCheckCounts();
    for (const verdict of verdicts) counts.count(verdict);
    expect(check.failure).toBeNull();
    expect(counts.toJSON()).toEqual({
      script: { passed: 2, failed: 4 },
      "script:status": { passed: 4, failed: 2 },
      "script:body": { passed: 5, failed: 1 },
    });
  });

  test("headers and body are not even looked at unless read", async () => {
    const loaded = await WorkloadScript.load(script(`export const targets = () => [];\nexport const check = (r: { status: number }) => r.status < 400;\n`));
    const check = loaded.check()!;
    // A check reading only the status never asks for the collected head or body.
    const untouchable = {
      get head(): Uint8Array {
        throw new Error("head read");
      },
      get body(): Uint8Array {
        throw new Error("body read");
      },
    };
    expect(check.run(204, untouchable)).toBeNull();
    expect(check.run(404, untouchable)).toBe("");
    expect(check.failure).toBeNull();
  });

  test("past MAX_NAMES distinct names, the rest are counted as other", async () => {
    const loaded = await WorkloadScript.load(script(`export const targets = () => [];\nexport const check = (r: { status: number }) => "n" + r.status;\n`));
    const check = loaded.check()!;
    const counts = new ScriptCheckCounts();
    for (let s = 0; s < ScriptCheck.MAX_NAMES + 5; s++) counts.count(check.run(200 + s, { head, body: body("") }));
    // A name already seen keeps its own count once the others are full.
    counts.count(check.run(200, { head, body: body("") }));
    const json = counts.toJSON();
    expect(Object.keys(json).length).toBe(1 + ScriptCheck.MAX_NAMES + 1);
    expect(json["script:other"]).toEqual({ passed: ScriptCheck.MAX_NAMES + 1, failed: 5 });
    expect(json["script:n200"]).toEqual({ passed: ScriptCheck.MAX_NAMES + 4, failed: 2 });
  });

  test("a bad verdict or a throw is kept as the run's failure, with FILE:LINE, never thrown; the first one stays", async () => {
    const bad = (await WorkloadScript.load(script(`export const targets = () => [];\nexport function check() {\n  return 1;\n}\n`))).check()!;
    expect(bad.run(200, { head, body: body("") })).toBeNull();
    expect(bad.failure).toBeInstanceOf(UsageError);
    expect(bad.failure!.message).toMatch(/:2: check\(\): expected true, false or the failed check's name \(1 to 64 characters without spaces\), got 1$/);
    const throws = (await WorkloadScript.load(script(`export const targets = () => [];\nexport function check(r: { body: string }) {\n  return JSON.parse(r.body).ok === true;\n}\n`))).check()!;
    expect(throws.run(200, { head, body: body("{not json") })).toBeNull();
    expect(throws.failure!.message).toMatch(/:3: check\(\) threw on a 200 response: SyntaxError: JSON Parse error/);
    throws.run(500, { head, body: body("{") });
    expect(throws.failure!.message).toContain("on a 200 response");
  });

  test("the collector writes out the fields the parser shows and the body pieces, as parseFields reads them, afresh per response", () => {
    const collector = new ResponseCollector();
    const shown = new Uint8Array(Buffer.from("X-A:  one \r\nx-b: two", "latin1"));
    for (let round = 0; round < 2; round++) {
      collector.startHead();
      collector.field(shown, 0, 3, 6, 9);
      collector.field(shown, 12, 15, 17, 20);
      collector.field(shown, 0, 3, 17, 20);
      // A body larger than the buffer's first size, in pieces.
      const piece = new Uint8Array(700).fill(0x61 + round);
      collector.content(piece, 0, 700);
      collector.content(piece, 100, 700);
      expect(parseFields(collector.head)).toEqual({ "x-a": "one, two", "x-b": "two" });
      expect(Buffer.from(collector.body).toString()).toBe((round === 0 ? "a" : "b").repeat(1300));
    }
    collector.startHead();
    expect([parseFields(collector.head), collector.body.length]).toEqual([{}, 0]);
  });

  test("merged, a failure name one run never returned is passed by all that run judged", () => {
    const [a, b] = [new ScriptCheckCounts(), new ScriptCheckCounts()];
    for (const verdict of [null, "slow", "slow", ""]) a.count(verdict);
    for (const verdict of [null, null, "empty"]) b.count(verdict);
    expect(mergeChecks([a.toJSON(), b.toJSON(), { status: { passed: 7, failed: 0 } }])).toEqual({
      script: { passed: 3, failed: 4 },
      "script:slow": { passed: 5, failed: 2 },
      "script:empty": { passed: 6, failed: 1 },
      status: { passed: 7, failed: 0 },
    });
  });

  test("parseFields reads names in any case and joins repeats", () => {
    expect(parseFields(head)).toEqual({ "content-type": "text/plain", "x-id": "1, 2" });
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
