import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import schema from "../result.schema.json" with { type: "json" };
import { validate } from "../support/json-schema.ts";
import { runCli } from "../support/cli.ts";
import { spawnServe, type ServeProcess } from "../server/helpers.ts";
import { CSV_COLUMNS } from "../../src/report/csv.ts";
import { tempDir } from "../support/temp-dir.ts";

/** `minibench bench` end to end: real subprocesses, a real `minibench serve` on port 0. */

let server: ServeProcess;
let url = "";
const dir = tempDir("bench");

beforeAll(async () => {
  server = await spawnServe(["--quiet"]);
  url = `http://127.0.0.1:${server.port}/`;
});

afterAll(() => {
  server.proc.kill();
});

const bench = (args: string[], options: { signalAfterMs?: number } = {}) => runCli(["bench", ...args], options);

describe("bench closed", () => {
  test("--json: stdout is one valid result document and nothing else; tables go to stderr", async () => {
    const { stdout, stderr, code } = await bench(["closed", url, "-n", "300", "-c", "5", "--warmup", "10", "--repeat", "2", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    expect(document.mode).toBe("closed");
    expect(document.runs.map((run: { ok: number }) => run.ok)).toEqual([300, 300]);
    expect(document.summary.groups).toHaveLength(1);
    expect(stderr).toContain("median");
  });

  test("--threads 2: shares run on two threads and merge exactly", async () => {
    const { stdout, code } = await bench(["closed", url, "-n", "1001", "-c", "6", "--warmup", "20", "--repeat", "2", "--threads", "2", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    for (const run of document.runs) {
      expect(run.ok).toBe(1001);
      expect(run.concurrency).toBe(6);
    }
  });

  test("--serve benchmarks its own minibench serve child, and stops it", async () => {
    const { stdout, code } = await bench(["closed", "--serve", "-n", "200", "-c", "2", "--repeat", "1", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(document.runs[0].ok).toBe(200);
    const port = new URL(document.url).port;
    expect(port).not.toBe(String(server.port));
    await expect(Bun.connect({ hostname: "127.0.0.1", port: Number(port), socket: { data() {} } })).rejects.toThrow();
    const both = await bench(["closed", "--serve", url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--serve starts its own target");
  });

  test("--out, --csv and --hgrm write their files", async () => {
    const out = join(dir, "result.json");
    const csvPath = join(dir, "result.csv");
    const hgrmPath = join(dir, "result.hgrm");
    const { code } = await bench(["closed", url, "-n", "200", "-c", "4", "--repeat", "1", "--quiet", "--out", out, "--csv", csvPath, "--hgrm", hgrmPath]);
    expect(code).toBe(0);
    expect(validate(JSON.parse(readFileSync(out, "utf8")), schema)).toEqual([]);
    const lines = readFileSync(csvPath, "utf8").trimEnd().split("\r\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(2);
    expect(lines[1]!.split(",")[1]).toBe("closed");
    const hgrm = readFileSync(hgrmPath, "utf8");
    expect(hgrm).toMatch(/Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(hgrm).toContain("#[Mean");
    expect(hgrm).toContain("#[Max");
  });

  test("--fail-p99 below the measured p99 exits 3; a generous one exits 0", async () => {
    const strict = await bench(["closed", url, "-n", "100", "-c", "2", "--repeat", "1", "--fail-p99", "0.0001"]);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain("--fail-p99");
    const generous = await bench(["closed", url, "-n", "100", "-c", "2", "--repeat", "1", "--fail-p99", "60000", "--fail-error-rate", "0"]);
    expect(generous.code).toBe(0);
  });

  test("an unreachable target: exit 1 at once, with a clear message", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const started = performance.now();
    const { code, stderr } = await bench(["closed", `http://127.0.0.1:${port}/`, "-n", "10", "--repeat", "1"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(stderr).not.toContain("    at ");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("every request failing is a failed run: exit 1", async () => {
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (socket) => void socket.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n") },
    });
    const { code, stderr } = await bench(["closed", `http://127.0.0.1:${listener.port}/`, "-n", "20", "-c", "1", "--repeat", "1", "--warmup", "0"]);
    listener.stop(true);
    expect(code).toBe(1);
    expect(stderr).toContain("every request failed (status_5xx: 20)");
  });

  test("Ctrl-C: what completed is still reported, exit 130", async () => {
    // Well after start-up and the warm-up even on a busy machine: a Ctrl-C during the warm-up reports nothing as measured.
    const out = join(dir, "interrupted.json");
    const { code, stdout } = await bench(["closed", url, "-d", "20s", "-c", "2", "--repeat", "3", "--json", "--out", out], { signalAfterMs: 3000 });
    expect(code).toBe(130);
    const document = JSON.parse(stdout);
    expect(document.summary.interrupted).toBe(true);
    expect(document.runs[0].interrupted).toBe(true);
    expect(document.runs[0].ok).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(true);
  });

  test("bad usage names the flag and exits 2", async () => {
    for (const [args, message] of [
      [["closed", "-c", "0"], "--concurrency: expected a positive integer"],
      [["closed", "--requests", "many"], '--requests: expected a positive integer, got "many"'],
      [["closed", "--concurency", "5"], "unknown option --concurency"],
      [["open"], "--rps is required"],
      [["open", "--rps", "100", "--arrival", "bursty"], "--arrival"],
      [["closed", "ftp://x/"], "URL: expected an http:// or https:// URL"],
      [["closed", "-H", "no colon"], '--header: expected "Name: value"'],
    ] as const) {
      const { code, stderr } = await bench([...args]);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("bench open", () => {
  test("--json: both latency kinds, the achieved rate and the scheduler lag", async () => {
    const { stdout, stderr, code } = await bench(["open", url, "--rps", "1000", "-d", "1", "--warmup-sec", "0.2", "--repeat", "1", "--json"]);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    const [run] = document.runs;
    expect(run.targetRps).toBe(1000);
    expect(run.achievedRps).toBeGreaterThan(900);
    expect(run.achievedRps).toBeLessThan(1100);
    expect(run.serviceTimeMs).not.toBeNull();
    expect(run.schedulerLagMs.p50).toBeGreaterThanOrEqual(0);
    expect(stderr).toContain("coordinated omission");
  });
});
