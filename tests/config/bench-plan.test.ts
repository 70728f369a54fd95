import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILT_IN_PRESETS, parseConfig, type BenchConfig } from "../../src/config/bench-config.ts";
import { BENCH_MODES, BENCH_OPTIONS, DEFAULT_CLOSED_DURATION_S, DEFAULT_URL } from "../../src/config/bench-options.ts";
import { defaultBacklog } from "../../src/config/plan.ts";
import { benchPlan, servedAt } from "../../src/config/bench-plan.ts";
import { ConfigError, UsageError } from "../../src/errors.ts";
import { tempDir } from "../support/temp-dir.ts";

const dir = tempDir("bench-plan");
const config = (defaults?: Record<string, unknown>): BenchConfig => parseConfig({ presets: BUILT_IN_PRESETS, ...(defaults ? { defaults } : {}) }, "bench_config.json");
const plan = (mode: (typeof BENCH_MODES)[number], given: Record<string, unknown>, defaults?: Record<string, unknown>) => benchPlan(mode, given, config(defaults));

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("each default comes from the option table", () => {
  test("a closed run with no flags is the table's defaults", () => {
    const { plan: closed } = plan("closed", {});
    expect(closed.run).toEqual({
      kind: "closed",
      requests: null,
      concurrency: BENCH_OPTIONS.concurrency.default,
      durationS: DEFAULT_CLOSED_DURATION_S,
      warmup: BENCH_OPTIONS.warmup.default,
      repeat: BENCH_OPTIONS.repeat.default,
    });
    expect(closed.load.target.url).toBe(DEFAULT_URL);
    expect(closed.load).toMatchObject({ keepAlive: true, pipeline: BENCH_OPTIONS.pipeline.default, timeoutMs: BENCH_OPTIONS.timeout.default, threads: 1 });
  });

  test("the same flag means its own thing in each mode: --concurrency, --requests, --duration", () => {
    expect(plan("open", { rps: "100" }).plan.run).toMatchObject({ concurrency: BENCH_OPTIONS.openConcurrency.default, durationS: BENCH_OPTIONS.openDuration.default });
    expect(plan("sweep", {}).plan.run).toMatchObject({ requests: BENCH_OPTIONS.sweepRequests.default, warmup: BENCH_OPTIONS.sweepWarmup.default });
    expect(plan("sweep", { concurrencies: "1, 4,16" }).plan.run).toMatchObject({ concurrencies: [1, 4, 16] });
    expect(plan("sweep", {}).plan.run).toMatchObject({ minDurationS: BENCH_OPTIONS.minDuration.default });
    expect(plan("open", { rps: "5k", concurrency: "40" }).plan.run).toMatchObject({ rateRps: 5000, concurrency: 40, backlog: defaultBacklog(5000, 40) });
    expect(plan("open", { rps: "100", backlog: "0", arrival: "poisson" }).plan.run).toMatchObject({ backlog: 0, arrival: "poisson" });
  });
});

test("a closed run with neither -n nor -d goes by time; -n makes it count-bound", () => {
  expect(DEFAULT_CLOSED_DURATION_S).toBeGreaterThanOrEqual(1);
  expect(plan("closed", { requests: "2000" }).plan.run).toMatchObject({ requests: 2000, durationS: null });
  expect(plan("closed", { duration: "2s" }).plan.run).toMatchObject({ requests: null, durationS: 2 });
  expect(plan("closed", { duration: "2s", requests: "2000" }).plan.run).toMatchObject({ requests: null, durationS: 2 });
});

describe("flag > config file > default", () => {
  const defaults = { timeout: 3000, keepalive: false, pipeline: 4, header: ["X-From: file"], url: "http://127.0.0.1:9/" };

  test("the file's defaults apply where no flag is given", () => {
    const { load } = plan("closed", {}, defaults).plan;
    expect(load).toMatchObject({ timeoutMs: 3000, keepAlive: false, pipeline: 4 });
    expect(load.target.url).toBe("http://127.0.0.1:9/");
    expect(new TextDecoder().decode(load.target.request)).toContain("X-From: file\r\n");
  });

  test("a flag wins over the file", () => {
    const { load } = plan("closed", { timeout: "4000", keepalive: true, pipeline: "2", header: ["X-From: flag"], target: "http://127.0.0.1:8/" }, defaults).plan;
    expect(load).toMatchObject({ timeoutMs: 4000, keepAlive: true, pipeline: 2 });
    expect(load.target.url).toBe("http://127.0.0.1:8/");
    const request = new TextDecoder().decode(load.target.request);
    expect(request).toContain("X-From: flag\r\n");
    expect(request).not.toContain("X-From: file");
  });
});

describe("errors name the flag the value came from", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["closed", { concurrency: "0" }, '--concurrency: expected a positive integer, got "0"'],
    ["closed", { requests: "many" }, '--requests: expected a positive integer, got "many"'],
    ["closed", { pipeline: "2000" }, '--pipeline: expected an integer from 1 to 1024, got "2000"'],
    ["open", {}, "--rps is required: the target arrival rate in requests per second (or give --stages)"],
    ["open", { rps: "10", arrival: "bursty" }, '--arrival: expected constant or poisson, got "bursty"'],
    ["sweep", { concurrencies: "1,x" }, '--concurrencies: expected a positive integer, got "x"'],
    ["closed", { "fail-error-rate": "2" }, '--fail-error-rate: expected a fraction from 0 to 1, got "2"'],
    ["closed", { "start-at": "soon" }, '--start-at: expected an ISO-8601 time or epoch milliseconds, got "soon"'],
    ["closed", { header: ["no colon"] }, '--header: expected "Name: value", got "no colon"'],
    ["closed", { target: "ftp://x/" }, 'URL: expected an http:// or https:// URL, got "ftp://x/"'],
    ["closed", { url: "http://a/", target: "http://b/" }, 'two targets given: "http://b/" and --url "http://a/"'],
    ["closed", { serve: true, target: "http://b/" }, "--serve starts its own target: give no URL with it"],
    ["closed", { body: "x", "body-file": "y" }, "--body and --body-file: give one of them"],
    ["preset", { profile: "nope" }, '--profile: no profile "nope" in bench_config.json (it has smoke, standard, stress)'],
  ];
  test.each(cases)("%s %j", (mode, given, message) => {
    const error = errorOf(() => plan(mode as (typeof BENCH_MODES)[number], given));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(message);
  });

  test("a body file that cannot be read is refused while planning", () => {
    expect(errorOf(() => plan("closed", { "body-file": join(dir, "missing") })).message).toStartWith(`--body-file: cannot read ${join(dir, "missing")}`);
    const body = join(dir, "body.bin");
    writeFileSync(body, "hello");
    expect(new TextDecoder().decode(plan("closed", { "body-file": body }).plan.load.target.request)).toEndWith("Content-Length: 5\r\n\r\nhello");
  });
});

describe("--serve", () => {
  test("the plan is whole before the child exists; the child's address replaces the target, request and all", () => {
    const planned = plan("closed", { serve: true, header: ["X-A: 1"], method: "post" });
    expect(planned.serve).toBe(true);
    const served = servedAt(planned, "http://127.0.0.1:4567/");
    expect(served.load.target.port).toBe(4567);
    const request = new TextDecoder().decode(served.load.target.request);
    expect(request).toStartWith("POST / HTTP/1.1\r\nHost: 127.0.0.1:4567\r\n");
    expect(request).toContain("X-A: 1\r\n");
    expect(served.run).toBe(planned.plan.run);
  });
});

test("the config file's own errors are ConfigErrors naming the JSON path", () => {
  const error = errorOf(() => plan("closed", {}, { pipeline: 0 }));
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toBe("bench_config.json: defaults.pipeline: expected an integer from 1 to 1024, got 0");
});
