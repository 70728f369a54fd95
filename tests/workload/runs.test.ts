import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { BUILT_IN_PRESETS, parseConfig } from "../../src/config/bench-config.ts";
import { benchPlan } from "../../src/config/bench-plan.ts";
import type { ClosedRun, OpenRun } from "../../src/config/plan.ts";
import { runLoad } from "../../src/schedule/threads.ts";
import type { RunResult } from "../../src/stats/result.ts";
import { totalErrors } from "../../src/stats/summary.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * Workloads sent for real: a targets file through the bench plan, on loopback, to servers that
 * count what they receive and answer wrongly on purpose. Counts are exact wherever the order is.
 */

const dir = tempDir("workload-runs");
const CONFIG = parseConfig({ presets: BUILT_IN_PRESETS }, "bench_config.json");
const stops: (() => unknown)[] = [];
afterAll(() => {
  for (const stop of stops) stop();
});

let files = 0;
function targetsFile(text: string): string {
  const path = join(dir, `targets-${++files}.txt`);
  writeFileSync(path, text);
  return path;
}

interface Received {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** An HTTP server that keeps every request it receives; `answer(k)` makes the k-th (from 0) response. */
function countingServer(answer: (k: number, request: Request) => Response = () => new Response("ok")): { server: ReturnType<typeof Bun.serve>; received: Received[] } {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const k = received.length;
      received.push({ method: request.method, path: url.pathname + url.search, headers: request.headers, body: await request.text() });
      return answer(k, request);
    },
  });
  stops.push(() => server.stop(true));
  return { server, received };
}

/** One closed-loop repeat of `-n requests` from the flags given, as `bench closed` plans it. */
async function closedRun({ sockets, ...flags }: Record<string, unknown>): Promise<RunResult> {
  const { plan } = benchPlan("closed", { warmup: "0", repeat: "1", concurrency: "8", ...flags }, CONFIG);
  const results = await runLoad({ ...plan.load, sockets: sockets as "bun" | "epoll" }, plan.run as ClosedRun, "closed");
  return results[0]!;
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

function expectAccounted(run: RunResult, requests: number): void {
  expect(run.requests).toBe(requests);
  expect(run.ok + totalErrors(run.errors)).toBe(requests);
}

const weighted = (port: number) =>
  targetsFile(
    ["# @name five", "# @weight 5", `GET http://127.0.0.1:${port}/five`, "", "# @name three", "# @weight 3", `GET http://127.0.0.1:${port}/three`, "", "# @name two", "# @weight 2", `GET http://127.0.0.1:${port}/two`, ""].join("\n"),
  );

describe.each(["bun", "epoll"] as const)("%s sockets:", (sockets) => {
  test("--order random --seed 1: weights 5:3:2 over 10,000 requests, each share within 2 points, and byTarget counts what the server received", async () => {
    const { server, received } = countingServer();
    const run = await closedRun({ targets: weighted(server.port!), order: "random", seed: "1", requests: "10000", sockets });
    expectAccounted(run, 10_000);
    const counts = countBy(received, (r) => r.path);
    // Independent draws: a share of 10,000 spreads by about half a point (binomial), so 2 points is 4 σ.
    for (const [path, weight] of [["/five", 5], ["/three", 3], ["/two", 2]] as const) {
      expect(Math.abs(counts[path]! / 10_000 - weight / 10)).toBeLessThanOrEqual(0.02);
    }
    expect(run.generator).toBe("pool");
    expect(run.byTarget!.map((t) => [t.name, t.requests, t.ok])).toEqual([
      ["five", counts["/five"]!, counts["/five"]!],
      ["three", counts["/three"]!, counts["/three"]!],
      ["two", counts["/two"]!, counts["/two"]!],
    ]);
    expect(run.byTarget![0]!.statuses).toEqual({ "200": counts["/five"]! });
    expect(run.byTarget![0]!.latencyMs.max).toBeGreaterThan(0);
  });

  test("--order roundrobin: exact counts, also over two threads", async () => {
    for (const threads of ["1", "2"]) {
      const { server, received } = countingServer();
      const run = await closedRun({ targets: weighted(server.port!), requests: "1000", threads, sockets });
      expectAccounted(run, 1000);
      expect(countBy(received, (r) => r.path)).toEqual({ "/five": 500, "/three": 300, "/two": 200 });
      expect(run.byTarget!.map((t) => t.requests)).toEqual([500, 300, 200]);
    }
  });

  test("--order once: every target its weight's times, then the run ends", async () => {
    const { server, received } = countingServer();
    const run = await closedRun({ targets: weighted(server.port!), order: "once", requests: "1000", sockets });
    expectAccounted(run, 10);
    expect(countBy(received, (r) => r.path)).toEqual({ "/five": 5, "/three": 3, "/two": 2 });
  });

  test("{{seq}} in the URL and the body: every value distinct and zero-padded, with --pipeline 4 and --threads 2", async () => {
    const { server, received } = countingServer();
    const targets = targetsFile(`POST http://127.0.0.1:${server.port}/item/{{seq}}?r={{rand:6}}\nX-Id: {{uuid}}\n@${targetsFile('{"id":{{seq:12}}}')}\n`);
    for (const [threads, pipeline] of [["1", "1"], ["2", "4"]]) {
      received.length = 0;
      const run = await closedRun({ targets, requests: "2000", threads, pipeline, sockets });
      expectAccounted(run, 2000);
      expect(run.ok).toBe(2000);
      const seqs = received.map((r) => /^\/item\/(\d+)\?r=\d{6}$/.exec(r.path)?.[1]);
      expect(seqs.every((seq) => seq !== undefined && seq.length === 10)).toBe(true);
      expect(new Set(seqs).size).toBe(2000);
      // The URL's {{seq}} and the body's are the same request's counter, at their own widths.
      for (const r of received) expect(r.body).toBe(`{"id":${r.path.slice(6, 16).padStart(12, "0")}}`);
      expect(new Set(received.map((r) => r.headers.get("x-id"))).size).toBe(2000);
      expect(received.every((r) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(r.headers.get("x-id")!))).toBe(true);
    }
  });

  describe("--expect-* against a server that answers wrongly every 10th time: counted exactly", () => {
    const wrongEvery10th = (wrong: () => Response) => countingServer((k) => (k % 10 === 9 ? wrong() : new Response("all ok", { headers: { "X-Check": "yes" } })));
    const cases = [
      ["status", { expectStatus: "200" }, () => new Response("all ok", { status: 503, headers: { "X-Check": "yes" } })],
      ["body", { expectBody: "ok" }, () => new Response("all wrong", { headers: { "X-Check": "yes" } })],
      ["header:X-Check", { expectHeader: ["X-Check: yes"] }, () => new Response("all ok", { headers: { "X-Check": "no" } })],
    ] as const;
    for (const [name, flags, wrong] of cases) {
      test(`${name}`, async () => {
        const { server } = wrongEvery10th(wrong);
        const url = `http://127.0.0.1:${server.port}/`;
        const flagsOf = Object.fromEntries(Object.entries(flags).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]));
        const run = await closedRun({ target: url, requests: "1000", sockets, ...flagsOf });
        expectAccounted(run, 1000);
        expect(run.checks).toEqual({ [name]: { passed: 900, failed: 100 } });
        expect(run.errors.check).toBe(100);
        expect(run.ok).toBe(900);
        expect(run.errors.status_5xx).toBe(0);
        expect(run.generator).toBe("fixed");
      });
    }

    test("--expect-status decides instead of the status class: a 404 it lists is ok", async () => {
      const { server } = countingServer(() => new Response("gone", { status: 404 }));
      const run = await closedRun({ target: `http://127.0.0.1:${server.port}/`, requests: "200", "expect-status": "404,410", sockets });
      expectAccounted(run, 200);
      expect(run.ok).toBe(200);
      expect(run.errors.status_4xx).toBe(0);
      expect(run.statuses).toEqual({ "404": 200 });
    });

    test("without --expect-status a 5xx stays a status error whatever the body check says; every check is counted", async () => {
      const { server } = wrongEvery10th(() => new Response("no", { status: 500 }));
      const run = await closedRun({ target: `http://127.0.0.1:${server.port}/`, requests: "1000", "expect-body": "ok", "expect-header": ["X-Check: yes"], sockets });
      expectAccounted(run, 1000);
      expect(run.errors.status_5xx).toBe(100);
      expect(run.errors.check).toBe(0);
      expect(run.checks).toEqual({ body: { passed: 900, failed: 100 }, "header:X-Check": { passed: 900, failed: 100 } });
    });
  });

  test("HEAD targets mixed with GET on keep-alive and --pipeline 4: each response framed by its own request", async () => {
    const { server, received } = countingServer(() => new Response("hello", { headers: { "X-Check": "yes" } }));
    const targets = targetsFile(`GET http://127.0.0.1:${server.port}/get\n\nHEAD http://127.0.0.1:${server.port}/head\n\nHEAD http://127.0.0.1:${server.port}/head2\n`);
    const run = await closedRun({ targets, requests: "900", pipeline: "4", "expect-header": ["X-Check: yes"], sockets });
    expectAccounted(run, 900);
    expect(run.ok).toBe(900);
    expect(countBy(received, (r) => `${r.method} ${r.path}`)).toEqual({ "GET /get": 300, "HEAD /head": 300, "HEAD /head2": 300 });
    expect(run.byTarget!.map((t) => [t.name, t.ok])).toEqual([["GET /get", 300], ["HEAD /head", 300], ["HEAD /head2", 300]]);
  });

  test("a request the kernel takes in part keeps its own bytes: its target filled again for another connection does not change its tail", async () => {
    const { server, received } = countingServer();
    // 4 MB bodies do not fit a socket's buffer: writes are partial while other connections send the same target.
    const body = targetsFile(`{{seq}}${"x".repeat(4 << 20)}{{seq}}`);
    const run = await closedRun({ targets: targetsFile(`POST http://127.0.0.1:${server.port}/big/{{seq}}\n@${body}\n`), requests: "24", concurrency: "4", sockets });
    expectAccounted(run, 24);
    expect(run.ok).toBe(24);
    for (const r of received) {
      const seq = r.path.slice("/big/".length);
      expect(r.body.length).toBe((4 << 20) + 20);
      expect([r.body.slice(0, 10), r.body.slice(-10)]).toEqual([seq, seq]);
    }
    expect(new Set(received.map((r) => r.path)).size).toBe(24);
  });

  test("a request whose keep-alive connection closed as it was sent is sent again: the same target", async () => {
    // Each connection answers its first request and closes on its second, unanswered.
    const answered: string[] = [];
    const lost: string[] = [];
    const listener: TCPSocketListener<{ seen: number }> = Bun.listen<{ seen: number }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { seen: 0 };
        },
        data(socket: Socket<{ seen: number }>, chunk) {
          const path = chunk.toString("latin1").split(" ")[1]!;
          if (socket.data.seen++ === 0) {
            answered.push(path);
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          } else {
            lost.push(path);
            socket.end();
          }
        },
      },
    });
    stops.push(() => listener.stop(true));
    const targets = targetsFile(["a", "b", "c"].map((p) => `GET http://127.0.0.1:${listener.port}/${p}`).join("\n\n"));
    const run = await closedRun({ targets, requests: "60", concurrency: "1", sockets });
    expectAccounted(run, 60);
    expect(run.ok).toBe(60);
    expect(run.retried).toBe(59);
    expect(answered).toEqual(Array.from({ length: 60 }, (_, i) => `/${"abc"[i % 3]}`));
    // The k-th lost request is the one answered next, on the next connection.
    expect(lost).toEqual(answered.slice(1));
  });
});

test("an open loop sends the pool too: its picks, counted by target", async () => {
  const { server, received } = countingServer();
  const { plan } = benchPlan("open", { targets: weighted(server.port!), rps: "2000", duration: "0.5s", "warmup-sec": "0", repeat: "1" }, CONFIG);
  const [run] = await runLoad(plan.load, plan.run as OpenRun, "open");
  expect(run!.requests).toBe(1000);
  expect(run!.ok).toBe(1000);
  expect(countBy(received, (r) => r.path)).toEqual({ "/five": 500, "/three": 300, "/two": 200 });
  expect(run!.byTarget!.map((t) => t.requests)).toEqual([500, 300, 200]);
});

test("an open loop with --order once ends as soon as every target was sent and answered", async () => {
  const { server, received } = countingServer();
  const { plan } = benchPlan("open", { targets: weighted(server.port!), order: "once", rps: "1000", duration: "20s", "warmup-sec": "0", repeat: "1" }, CONFIG);
  const startedMs = performance.now();
  const [run] = await runLoad(plan.load, plan.run as OpenRun, "open");
  expect(performance.now() - startedMs).toBeLessThan(10_000);
  expect(run!.requests).toBe(10);
  expect(countBy(received, (r) => r.path)).toEqual({ "/five": 5, "/three": 3, "/two": 2 });
});
