import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { buildTarget } from "../../src/client/target.ts";
import type { ClosedRun, LoadOptions, OpenRun } from "../../src/config/plan.ts";
import { RunError } from "../../src/errors.ts";
import { runClosed, runOpen } from "../../src/schedule/run.ts";
import type { RunningServer, ServerOptions } from "../../src/server/server.ts";
import { testServer } from "../server/helpers.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { totalErrors, zeroErrors } from "../../src/stats/summary.ts";

/**
 * The engine against real sockets on loopback: `minibench serve`, and small hostile servers that
 * reset, stall, lie about framing or close after each response. Every request must end as exactly
 * one outcome: ok + Σ errors == requests, with exact counts.
 */

const servers: { stop(): unknown }[] = [];
afterAll(() => {
  for (const server of servers) server.stop();
});

function serve(options: Partial<ServerOptions> = {}): RunningServer {
  const server = testServer(options);
  servers.push({ stop: () => server.stop(0) });
  return server;
}

/** A raw server whose reaction to each complete request (a blank line seen) is `answer`. */
function hostile(answer: (socket: Socket<{ seen: number }>, index: number) => void): TCPSocketListener<{ seen: number }> {
  let index = 0;
  const listener = Bun.listen<{ seen: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { seen: 0 };
      },
      data(socket, chunk) {
        const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
        for (let i = 0; i < requests; i++) answer(socket, index++);
      },
    },
  });
  servers.push({ stop: () => listener.stop(true) });
  return listener;
}

function load(port: number, options: Partial<LoadOptions> & { keepAlive?: boolean; method?: string } = {}): LoadOptions {
  const keepAlive = options.keepAlive ?? true;
  return {
    target: buildTarget({ url: `http://127.0.0.1:${port}/`, method: options.method ?? "GET", headers: [], body: null, keepAlive, insecure: false }),
    keepAlive,
    pipeline: options.pipeline ?? 1,
    timeoutMs: options.timeoutMs ?? 5000,
    threads: 1,
  };
}

const closed = (requests: number, concurrency: number, extra: Partial<ClosedRun> = {}): ClosedRun => ({
  kind: "closed",
  concurrency,
  requests,
  durationS: null,
  warmup: 0,
  repeat: 1,
  ...extra,
});

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

function expectAccounted(run: RunResult, requests: number): void {
  expect(run.requests).toBe(requests);
  expect(run.ok + totalErrors(run.errors)).toBe(run.requests);
}

// Closed loops run on either socket layer (epoll where it can, Bun.connect elsewhere): both must
// pass every test.
describe.each(["bun", "epoll"] as const)("%s sockets:", (sockets) => {
  const loadOn = (port: number, options: Parameters<typeof load>[1] = {}): LoadOptions => ({ ...load(port, options), sockets });

  describe("closed loop against minibench serve", () => {
    test("keep-alive: every request ok, exact count", async () => {
      const server = serve();
      const [run] = await runClosed(loadOn(server.port), closed(2000, 10, { warmup: 100 }), "closed");
      expectAccounted(run!, 2000);
      expect(run!.ok).toBe(2000);
      expect(run!.statuses).toEqual({ "200": 2000 });
      expect(run!.throughputRps).toBeGreaterThan(0);
    });

    test("a new connection per request", async () => {
      const server = serve();
      const [run] = await runClosed(loadOn(server.port, { keepAlive: false }), closed(500, 5), "closed");
      expectAccounted(run!, 500);
      expect(run!.ok).toBe(500);
    });

    test("pipelining, and repeats that each count their own requests", async () => {
      const server = serve();
      const runs = await runClosed(loadOn(server.port, { pipeline: 8 }), closed(1000, 4, { repeat: 3, warmup: 50 }), "closed");
      expect(runs.map((r) => r.ok)).toEqual([1000, 1000, 1000]);
      expect(runs.map((r) => r.repeat)).toEqual([1, 2, 3]);
    });

    test("a server that closes after each response: reconnect and carry on", async () => {
      const server = serve({ closeEach: true });
      const [run] = await runClosed(loadOn(server.port), closed(300, 3), "closed");
      expectAccounted(run!, 300);
      expect(run!.ok).toBe(300);
    });

    test("bodies of megabytes, read over many reads", async () => {
      const server = serve({ bodySize: 3_000_000 });
      for (const keepAlive of [true, false]) {
        const [run] = await runClosed(loadOn(server.port, { keepAlive }), closed(30, 3), "closed");
        expectAccounted(run!, 30);
        expect(run!.ok).toBe(30);
      }
    });

    test("an IPv6 target", async () => {
      const server = serve({ hostname: "::1" });
      const target = buildTarget({ url: `http://[::1]:${server.port}/`, method: "GET", headers: [], body: null, keepAlive: true, insecure: false });
      const [run] = await runClosed({ ...loadOn(server.port), target }, closed(200, 2), "closed");
      expectAccounted(run!, 200);
      expect(run!.ok).toBe(200);
    });

    test("HEAD responses carry no body", async () => {
      const server = serve({ bodySize: 100 });
      const [run] = await runClosed(loadOn(server.port, { method: "HEAD" }), closed(200, 2), "closed");
      expect(run!.ok).toBe(200);
    });

    test("a duration-bound run stops on time", async () => {
      const server = serve();
      const started = performance.now();
      const [run] = await runClosed(loadOn(server.port), closed(0, 4, { requests: null, durationS: 0.5 }), "closed");
      const elapsedMs = performance.now() - started;
      expect(elapsedMs).toBeGreaterThan(450);
      expect(elapsedMs).toBeLessThan(3000);
      expect(run!.ok).toBeGreaterThan(10);
      expect(run!.ok + totalErrors(run!.errors)).toBe(run!.requests);
    });
  });

  describe("closed loop against other real servers", () => {
    test("Bun.serve, keep-alive and not", async () => {
      const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("hello") });
      servers.push({ stop: () => server.stop(true) });
      for (const keepAlive of [true, false]) {
        const [run] = await runClosed(loadOn(server.port!, { keepAlive }), closed(500, 4), "closed");
        expectAccounted(run!, 500);
        expect(run!.ok).toBe(500);
      }
    });

    test("node:http with chunked bodies, keep-alive and not", async () => {
      const { createServer } = await import("node:http");
      const server = createServer((_request, response) => {
        response.write("chunk one,");
        response.write("chunk two");
        response.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push({ stop: () => server.close() });
      const port = (server.address() as { port: number }).port;
      for (const keepAlive of [true, false]) {
        const [run] = await runClosed(loadOn(port, { keepAlive }), closed(300, 3), "closed");
        expectAccounted(run!, 300);
        expect(run!.ok).toBe(300);
      }
    });
  });

  describe("closed loop against hostile servers", () => {
    test("an unreachable target stops at once with a clear error", async () => {
      const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const port = listener.port;
      listener.stop(true);
      const promise = runClosed(loadOn(port), closed(10, 1), "closed");
      await expect(promise).rejects.toBeInstanceOf(RunError);
      await expect(runClosed(loadOn(port), closed(10, 1), "closed")).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
    });

    test("503s are counted as status_5xx and their latency recorded", async () => {
      const listener = hostile((socket, i) =>
        socket.write(i % 2 === 0 ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
      );
      const [run] = await runClosed(loadOn(listener.port), closed(100, 1), "closed");
      expectAccounted(run!, 100);
      expect(run!.errors.status_5xx).toBe(50);
      expect(run!.ok).toBe(50);
      expect(run!.statuses).toEqual({ "200": 50, "503": 50 });
      expect(run!.latencyMs.max).toBeGreaterThan(0);
    });

    test("resets are counted by kind, the run carries on", async () => {
      // Every fourth request is reset, and so is its second try on a new connection.
      const listener = hostile((socket, i) => {
        if (i % 5 >= 3) socket.terminate();
        else socket.write(OK);
      });
      const [run] = await runClosed(loadOn(listener.port), closed(200, 1), "closed");
      expectAccounted(run!, 200);
      expect(run!.errors.reset).toBe(50);
      expect(run!.retried).toBe(50);
      expect(run!.ok).toBe(150);
    });

    // What a server closing an idle keep-alive connection looks like when the close crosses the
    // next request on the wire, made certain: each connection's second request finds it closed
    // (a FIN, or a reset when the request reached a socket already closed), with no byte of an answer.
    for (const [how, close] of [["FIN", (socket: Socket<{ seen: number }>) => socket.end()], ["reset", (socket: Socket<{ seen: number }>) => socket.terminate()]] as const) {
      test(`a keep-alive close (${how}) crossing a request: sent again on a new connection, counted as retried`, async () => {
        const listener = hostile((socket) => {
          if (socket.data.seen++ === 0) socket.write(OK);
          else close(socket);
        });
        const [run] = await runClosed(loadOn(listener.port), closed(100, 1), "closed");
        expectAccounted(run!, 100);
        expect(run!.ok).toBe(100);
        expect(run!.retried).toBe(99);
        expect(totalErrors(run!.errors)).toBe(0);
      });
    }

    test("a request that is not idempotent is not sent again: its loss is an error", async () => {
      const listener = hostile((socket) => {
        if (socket.data.seen++ === 0) socket.write(OK);
        else socket.end();
      });
      const [run] = await runClosed(loadOn(listener.port, { method: "POST" }), closed(100, 1), "closed");
      expectAccounted(run!, 100);
      // Each lost request leaves a closed connection; the next one opens a new one and is answered.
      expect(run!.ok).toBe(50);
      expect(run!.errors.closed).toBe(50);
      expect(run!.retried).toBe(0);
    });

    test("a connection opened for its requests that closes unanswered: an error, not retried", async () => {
      const listener = hostile((socket) => socket.end());
      const [run] = await runClosed(loadOn(listener.port, { keepAlive: false }), closed(20, 2), "closed");
      expectAccounted(run!, 20);
      expect(run!.errors.closed).toBe(20);
      // Only the probe connection, opened before the run, was not opened for its request: that
      // request alone was tried twice.
      expect(run!.retried).toBe(1);
    });

    test("a server that never answers: every request times out", async () => {
      const listener = hostile(() => {});
      const [run] = await runClosed(loadOn(listener.port, { timeoutMs: 100 }), closed(6, 2), "closed");
      expectAccounted(run!, 6);
      expect(run!.errors.timeout).toBe(6);
    });

    test("a malformed status line is a parse error", async () => {
      const listener = hostile((socket, i) => socket.write(i % 2 === 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" : "HTPP/1.1 200 OK\r\n\r\n"));
      const [run] = await runClosed(loadOn(listener.port), closed(40, 1), "closed");
      expectAccounted(run!, 40);
      expect(run!.errors.parse).toBe(20);
      expect(run!.ok).toBe(20);
      expect(Object.values(run!.parseErrors!)).toEqual([20]);
    });

    test("parse errors are counted by reason", async () => {
      const bad = ["HTPP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"];
      const listener = hostile((socket, i) => socket.write(i % 4 === 3 ? OK : bad[i % 4]!));
      const [run] = await runClosed(loadOn(listener.port), closed(40, 1), "closed");
      expectAccounted(run!, 40);
      expect(run!.ok).toBe(10);
      expect(run!.errors.parse).toBe(30);
      const reasons = run!.parseErrors!;
      expect(Object.keys(reasons)).toHaveLength(3);
      expect(Object.values(reasons)).toEqual([10, 10, 10]);
      for (const reason of Object.keys(reasons)) expect(reason).toMatch(/^[a-z]/);
    });

    test("chunked bodies cut at odd boundaries", async () => {
      const response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: 1\r\n\r\n";
      const listener = hostile((socket) => {
        let at = 0;
        for (const size of [1, 7, 2, 13, 5]) socket.write(response.slice(at, (at += size)));
        socket.write(response.slice(at));
      });
      const [run] = await runClosed(loadOn(listener.port), closed(100, 2), "closed");
      expectAccounted(run!, 100);
      expect(run!.ok).toBe(100);
    });

    test("a connection closed before the whole response counts as closed", async () => {
      const listener = hostile((socket, i) => {
        if (i % 5 === 4) socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        else socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      });
      const [run] = await runClosed(loadOn(listener.port), closed(100, 1), "closed");
      expectAccounted(run!, 100);
      expect(run!.errors.closed).toBe(20);
      expect(run!.ok).toBe(80);
    });

    test("bodies delimited by the connection's end", async () => {
      const listener = hostile((socket) => socket.end("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
      const [run] = await runClosed(loadOn(listener.port), closed(50, 2), "closed");
      expectAccounted(run!, 50);
      expect(run!.ok).toBe(50);
    });
  });
});

describe("https", () => {
  const fixtures = join(import.meta.dir, "../fixtures");
  const tlsServer = () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: Bun.file(join(fixtures, "self-signed.crt")), key: Bun.file(join(fixtures, "self-signed.key")) },
      fetch: () => new Response("secure"),
    });
    servers.push({ stop: () => server.stop(true) });
    return server;
  };
  const tlsLoad = (port: number, insecure: boolean, keepAlive = true): LoadOptions => ({
    ...load(port, { keepAlive }),
    target: buildTarget({ url: `https://127.0.0.1:${port}/`, method: "GET", headers: [], body: null, keepAlive, insecure }),
  });

  test("a self-signed certificate is refused unless --insecure, with the reason", async () => {
    const server = tlsServer();
    await expect(runClosed(tlsLoad(server.port!, false), closed(10, 1), "closed")).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i);
  });

  test("--insecure: keep-alive and a new connection per request", async () => {
    const server = tlsServer();
    for (const keepAlive of [true, false]) {
      const [run] = await runClosed(tlsLoad(server.port!, true, keepAlive), closed(200, 2), "closed");
      expectAccounted(run!, 200);
      expect(run!.ok).toBe(200);
    }
  });
});

describe("open loop", () => {
  const open = (rateRps: number, durationS: number, extra: Partial<OpenRun> = {}): OpenRun => ({
    kind: "open",
    rateRps,
    durationS,
    concurrency: 50,
    backlog: 50,
    arrival: "constant",
    repeat: 1,
    warmupS: 0,
    ...extra,
  });

  test("holds the target rate and counts every scheduled request", async () => {
    const server = serve();
    const [run] = await runOpen(load(server.port), open(2000, 1));
    expectAccounted(run!, 2000);
    expect(run!.dropped).toBe(0);
    expect(run!.achievedRps!).toBeGreaterThan(1900);
    expect(run!.achievedRps!).toBeLessThan(2100);
    expect(run!.serviceTimeMs).not.toBeNull();
    expect(run!.schedulerLagMs).toBeDefined();
  });

  test("poisson arrivals average the target rate", async () => {
    const server = serve();
    const [run] = await runOpen(load(server.port), open(2000, 1, { arrival: "poisson" }));
    expect(run!.requests).toBeGreaterThan(1700);
    expect(run!.requests).toBeLessThan(2300);
  });

  test("a server that freezes shows in corrected latency, not in service time", async () => {
    // One connection and a deep backlog: during the freeze one request waits at the server while
    // the ones scheduled behind it wait in our backlog. Their latency from the intended time
    // includes the freeze; their service time does not — what a closed-loop tool would hide.
    let frozenUntil = 0;
    let pending: Socket<{ seen: number }>[] = [];
    const started = performance.now();
    const listener = hostile((socket) => {
      const now = performance.now();
      if (frozenUntil === 0 && now - started > 600) frozenUntil = now + 1000;
      if (now < frozenUntil) {
        pending.push(socket);
        setTimeout(() => {
          for (const s of pending) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          pending = [];
        }, frozenUntil - now);
      } else {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }
    });
    const [run] = await runOpen(load(listener.port), open(200, 2.5, { concurrency: 1, backlog: 1000 }));
    expectAccounted(run!, 500);
    expect(run!.dropped).toBe(0);
    expect(run!.latencyMs.max).toBeGreaterThan(900);
    expect(run!.latencyMs.p99).toBeGreaterThan(500);
    expect(run!.serviceTimeMs!.max).toBeGreaterThan(900);
    expect(run!.serviceTimeMs!.p99).toBeLessThan(100);
  });

  test("a connection the server closed while idle is opened again for the next request: nothing lost, nothing retried", async () => {
    // Closed 20 ms after each answer; the next request is due 100 ms after the last.
    const listener = hostile((socket) => {
      socket.write(OK);
      setTimeout(() => socket.end(), 20);
    });
    const [run] = await runOpen(load(listener.port), open(10, 1, { concurrency: 1, backlog: 10 }));
    expectAccounted(run!, 10);
    expect(run!.ok).toBe(10);
    expect(run!.retried).toBe(0);
  });

  test("minibench serve closing idle connections at a high rate: no errors, the crossings are retried", async () => {
    // With a 50 ms idle timeout, connections that Poisson arrivals leave idle are closed all the
    // time, often just as a request is written on them.
    const server = serve({ idleTimeoutMs: 50 });
    const [run] = await runOpen(load(server.port), open(3000, 2, { concurrency: 100, backlog: 1000, arrival: "poisson" }));
    expect(run!.requests).toBeGreaterThan(5000);
    expect(run!.errors).toEqual(zeroErrors());
    expect(run!.ok).toBe(run!.requests);
  });

  test("past the cap and the backlog, requests are dropped and counted", async () => {
    const listener = hostile(() => {});
    const [run] = await runOpen(load(listener.port, { timeoutMs: 300 }), open(500, 0.5, { concurrency: 2, backlog: 3 }));
    // 250 scheduled: those that got a slot or a place in the backlog were sent and timed out (or were
    // still in flight when the run ended); everything else was dropped.
    expect(run!.dropped + run!.sent).toBe(250);
    expect(run!.requests).toBeLessThanOrEqual(run!.sent);
    expect(run!.errors.timeout).toBe(run!.requests);
    expect(run!.dropped).toBeGreaterThan(200);
  });
});
