import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTarget } from "../../src/client/target.ts";
import type { RunningServer } from "../../src/server/server.ts";
import { startFaultProxy, type FaultProxy, type Faults } from "../support/fault-proxy.ts";
import { runCli } from "../support/cli.ts";
import { OK, testServer } from "../server/helpers.ts";

/**
 * `bench closed` and `bench open`, run as the real CLI, through a proxy that injects network
 * faults between the load generator and `minibench serve`. Every request must end as exactly one
 * outcome, in the error kind its fault means, and nothing may wait past `--timeout`.
 *
 * With one connection and a fault at a byte position of each connection, the outcomes alternate
 * exactly: the first response of a connection gets through, the second meets the fault, the
 * engine reconnects, and so on. That makes the counts exact, not statistical.
 */

let server: RunningServer;
const proxies: FaultProxy[] = [];

beforeAll(() => {
  server = testServer();
});

afterAll(() => {
  for (const proxy of proxies) proxy.stop();
  server.stop(0);
});

function proxy(faults: Faults | ((connection: number) => Faults)): FaultProxy {
  const started = startFaultProxy({ upstreamPort: server.port, faults });
  proxies.push(started);
  return started;
}

interface Run {
  requests: number;
  sent: number;
  ok: number;
  dropped: number;
  errors: Record<string, number>;
  retried: number;
  latencyMs: { p50: number; max: number };
}

/** Runs `bench MODE` against the proxy with --json and returns its single run, after checking the accounting. */
async function bench(port: number, mode: "closed" | "open", args: string[]): Promise<{ run: Run; elapsedMs: number; code: number }> {
  const common = mode === "closed" ? ["--warmup", "0"] : ["--warmup-sec", "0"];
  const startedMs = performance.now();
  const { stdout, stderr, code } = await runCli(["bench", mode, `http://127.0.0.1:${port}/`, "--repeat", "1", "--quiet", "--json", ...common, ...args]);
  const elapsedMs = performance.now() - startedMs;
  if (stdout === "") throw new Error(`no result document; exit ${code}; stderr: ${stderr}`);
  const runs: Run[] = JSON.parse(stdout).runs;
  expect(runs).toHaveLength(1);
  const run = runs[0]!;
  const errors = Object.values(run.errors).reduce((sum, n) => sum + n, 0);
  expect(run.ok + errors).toBe(run.requests);
  return { run, elapsedMs, code };
}

/** The errors that are not zero. */
const nonZero = (errors: Record<string, number>) => Object.fromEntries(Object.entries(errors).filter(([, n]) => n > 0));

const RESPONSE_BYTES = OK.length;
/** In the middle of a connection's second response. */
const MID_SECOND_RESPONSE = RESPONSE_BYTES + 20;

describe("through a fault proxy, every request is one outcome of the right kind", () => {
  test("a clean proxy changes nothing: closed and open", async () => {
    const { port } = proxy({});
    const [closed, open] = await Promise.all([bench(port, "closed", ["-n", "300", "-c", "4"]), bench(port, "open", ["--rps", "200", "--duration", "0.5"])]);
    expect(closed.run.ok).toBe(300);
    expect(open.run.sent).toBe(100);
    expect(open.run.ok).toBe(100);
  });

  test("a 20 ms delay each way shows in latency: p50 ≥ 40 ms, closed and open", async () => {
    const { port } = proxy({ up: { delayMs: 20 }, down: { delayMs: 20 } });
    const [closed, open] = await Promise.all([
      bench(port, "closed", ["-n", "40", "-c", "4"]),
      bench(port, "open", ["--rps", "100", "--duration", "0.5", "--concurrency", "20"]),
    ]);
    expect(closed.run.ok).toBe(40);
    expect(closed.run.latencyMs.p50).toBeGreaterThanOrEqual(40);
    expect(open.run.ok).toBe(50);
    expect(open.run.latencyMs.p50).toBeGreaterThanOrEqual(40);
  });

  test("responses cut at random points and pipelined requests split too: all parsed, none lost", async () => {
    const { port } = proxy((n) => ({ up: { splitSeed: 1000 + n }, down: { splitSeed: 2000 + n } }));
    const [closed, open] = await Promise.all([
      bench(port, "closed", ["-n", "200", "-c", "3", "--pipeline", "3"]),
      bench(port, "open", ["--rps", "200", "--duration", "0.5"]),
    ]);
    expect(nonZero(closed.run.errors)).toEqual({});
    expect(closed.run.ok).toBe(200);
    expect(open.run.ok).toBe(100);
  });

  test("a throttled link (1000 bytes/s down) shows in latency", async () => {
    const { port } = proxy({ down: { bytesPerS: 1000 } });
    const { run } = await bench(port, "closed", ["-n", "5", "-c", "1"]);
    expect(run.ok).toBe(5);
    // Each response takes RESPONSE_BYTES / 1000 s to cross the link.
    expect(run.latencyMs.p50).toBeGreaterThanOrEqual(RESPONSE_BYTES * 0.9);
  });

  // One connection per run, closed (10 requests) and open (20 intended): every other request meets the fault.
  const alternating = (port: number) =>
    Promise.all([bench(port, "closed", ["-n", "10", "-c", "1"]), bench(port, "open", ["--rps", "40", "--duration", "0.5", "--concurrency", "1"])]);

  /**
   * An open loop's requests alternate between ok and `kind` on each of `connections` connections.
   * How many of the intended ones found the connection busy and were dropped depends on the machine's load.
   */
  function expectAlternating(run: Run, intended: number, kind: string, connections = 1): void {
    expect(run.requests + run.dropped).toBe(intended);
    expect(Object.keys(nonZero(run.errors))).toEqual([kind]);
    expect(Math.abs(run.ok - run.errors[kind]!)).toBeLessThanOrEqual(connections);
  }

  test("a reset in the middle of a response is a reset", async () => {
    const [closed, open] = await alternating(proxy({ down: { cut: { afterBytes: MID_SECOND_RESPONSE, how: "reset" } } }).port);
    expect(nonZero(closed.run.errors)).toEqual({ reset: 5 });
    expect(closed.run.ok).toBe(5);
    expectAlternating(open.run, 20, "reset");
  });

  test("a reset met while writing pipelined requests is still a reset, not a close", async () => {
    // The next pipelined request goes out right after a response is parsed: its send meets the reset
    // first, and the kernel tells a socket's error only once, so the close must keep that cause.
    const { port } = proxy({ down: { cut: { afterBytes: MID_SECOND_RESPONSE, how: "reset" } } });
    const { run } = await bench(port, "closed", ["-n", "40", "-c", "2", "--pipeline", "4"]);
    expect(run.ok).toBeGreaterThan(0);
    expect(nonZero(run.errors)).toEqual({ reset: run.requests - run.ok });
  });

  test("a connection dropped (FIN) in the middle of a response is closed", async () => {
    const [closed, open] = await alternating(proxy({ down: { cut: { afterBytes: MID_SECOND_RESPONSE, how: "drop" } } }).port);
    expect(nonZero(closed.run.errors)).toEqual({ closed: 5 });
    expectAlternating(open.run, 20, "closed");
  });

  test("half-closes: a FIN to the client mid-response is closed; to the server mid-request, a retry", async () => {
    const toClient = proxy({ down: { cut: { afterBytes: MID_SECOND_RESPONSE, how: "half-close" } } });
    // Faults are asked for when a connection arrives, by then the port the request names is known.
    // The server closes each connection on its second request without a byte of an answer: to the
    // client that is a keep-alive close crossing a request, which it sends again on a new connection.
    const toServer: FaultProxy = proxy(() => ({ up: { cut: { afterBytes: requestLength(toServer.port) + 5, how: "half-close" } } }));
    const [down, up] = await Promise.all([bench(toClient.port, "closed", ["-n", "10", "-c", "1"]), bench(toServer.port, "closed", ["-n", "10", "-c", "1"])]);
    expect(nonZero(down.run.errors)).toEqual({ closed: 5 });
    expect(nonZero(up.run.errors)).toEqual({});
    expect(up.run.ok).toBe(10);
    expect(up.run.retried).toBe(9);
  });

  test("garbage slipped into a response stream is a parse error", async () => {
    const { port } = proxy({ down: { inject: { afterBytes: RESPONSE_BYTES, bytes: Buffer.from("\x00junk\r\n") } } });
    const { run } = await bench(port, "closed", ["-n", "10", "-c", "1"]);
    expect(nonZero(run.errors)).toEqual({ parse: 5 });
    expect(run.ok).toBe(5);
  });

  test("a stall longer than --timeout is a timeout, and the run does not wait for the stall", async () => {
    const { port } = proxy({ down: { stall: { afterBytes: RESPONSE_BYTES, ms: 30_000 } } });
    const [closed, open] = await Promise.all([
      bench(port, "closed", ["-n", "6", "-c", "1", "--timeout", "300"]),
      // No backlog: every request is sent before the end of the window, so each ends in the drain that follows.
      bench(port, "open", ["--rps", "20", "--duration", "0.5", "--concurrency", "2", "--backlog", "0", "--timeout", "400"]),
    ]);
    expect(nonZero(closed.run.errors)).toEqual({ timeout: 3 });
    expect(closed.run.ok).toBe(3);
    expect(open.run.sent).toBe(open.run.requests);
    expect(open.run.errors.timeout).toBeGreaterThan(0);
    expect(open.run.ok + open.run.errors.timeout!).toBe(open.run.requests);
    expect(open.run.requests + open.run.dropped).toBe(10);
    // Three timeouts of 300 ms (within the engine's ~10% sweep) or a 0.5 s window and its drain, with process start and exit.
    expect(closed.elapsedMs).toBeLessThan(5000);
    expect(open.elapsedMs).toBeLessThan(5000);
  });

  test("a stall shorter than --timeout only adds latency", async () => {
    const { port } = proxy({ down: { stall: { afterBytes: RESPONSE_BYTES, ms: 150 } } });
    const { run } = await bench(port, "closed", ["-n", "4", "-c", "1", "--timeout", "2000"]);
    expect(run.ok).toBe(4);
    expect(run.latencyMs.max).toBeGreaterThanOrEqual(150);
  });

  test("--threads 2 accounts the same: each thread's connection alternates ok and reset, closed and open", async () => {
    const { port } = proxy({ down: { cut: { afterBytes: MID_SECOND_RESPONSE, how: "reset" } } });
    const [closed, open] = await Promise.all([
      bench(port, "closed", ["-n", "20", "-c", "2", "--threads", "2"]),
      bench(port, "open", ["--rps", "80", "--duration", "0.5", "--concurrency", "2", "--threads", "2"]),
    ]);
    expect(closed.run.requests).toBe(20);
    expect(nonZero(closed.run.errors)).toEqual({ reset: 10 });
    expect(closed.run.ok).toBe(10);
    expectAlternating(open.run, 40, "reset", 2);
  });
});

/** The bytes of one request the CLI sends to 127.0.0.1:port. */
function requestLength(port: number): number {
  return buildTarget({ url: `http://127.0.0.1:${port}/`, method: "GET", headers: [], body: null, keepAlive: true, insecure: false }).request.length;
}
