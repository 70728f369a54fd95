import { afterAll, expect, test } from "bun:test";
import { nowUs } from "../../src/client/clock.ts";
import type { OpenRun } from "../../src/config/plan.ts";
import { runLoad } from "../../src/schedule/threads.ts";
import { loadOf } from "./known-capacity-server.ts";

/**
 * `--threads N` start each repeat of a run in stages at one common time: each thread's share of
 * the profile is then due at the same instants, so at 2 × 10 req/s the requests arrive in pairs.
 * Threads that each took their own clock would arrive offset by however far apart they started.
 */

const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
const arrivalsUs: number[] = [];
const listener = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    data(socket, chunk) {
      const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
      for (let i = 0; i < requests; i++) arrivalsUs.push(nowUs());
      for (let i = 0; i < requests; i++) socket.write(RESPONSE);
    },
  },
});
afterAll(() => listener.stop(true));

test("two threads' shares of a profile line up: the requests arrive in pairs", async () => {
  // A profile of one stage held at 20 req/s: a run in stages, as `--stages 1s:20 --rps 20` makes it.
  const run: OpenRun = { kind: "open", rateRps: 20, durationS: 1, stages: [{ durationS: 1, target: 20 }], concurrency: 4, backlog: 40, arrival: "constant", repeat: 2, warmupS: 0 };
  const results = await runLoad({ ...loadOf(listener.port), threads: 2 }, run, "open");
  expect(results.map((result) => result.sent)).toEqual([20, 20]);
  expect(arrivalsUs).toHaveLength(40);
  // Each thread sends every 100 ms, both at the same instants: consecutive arrivals pair up.
  arrivalsUs.sort((a, b) => a - b);
  const pairGapsMs = Array.from({ length: 20 }, (_, i) => (arrivalsUs[2 * i + 1]! - arrivalsUs[2 * i]!) / 1000).sort((a, b) => a - b);
  expect(pairGapsMs[10]!).toBeLessThan(3);
}, 20_000);
