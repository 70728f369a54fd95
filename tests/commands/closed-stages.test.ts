import { afterAll, expect, test } from "bun:test";
import { runCli } from "../support/cli.ts";

/**
 * `bench closed --stages`: the connections follow the profile. A server that counts its open
 * connections and the requests it holds (each answered after 20 ms) is sampled every 10 ms while
 * the real CLI runs against it.
 */

const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
const HOLD_MS = 20;
let open = 0;
let held = 0;
const listener = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open() {
      open++;
    },
    close() {
      open--;
    },
    data(socket, chunk) {
      const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
      held += requests;
      setTimeout(() => {
        held -= requests;
        for (let i = 0; i < requests; i++) socket.write(RESPONSE);
      }, HOLD_MS);
    },
  },
});
afterAll(() => listener.stop(true));

test("--stages ramps the connections: they open as the level rises; requests in flight follow it down", async () => {
  const samples: { tMs: number; open: number; held: number }[] = [];
  let startMs: number | null = null;
  const sampler = setInterval(() => {
    if (startMs === null && open > 0) startMs = performance.now();
    if (startMs !== null) samples.push({ tMs: performance.now() - startMs, open, held });
  }, 10);
  // From 1 connection: a ramp to 8 over 1 s, held for 0.6 s, a step down to 2, held for 0.6 s.
  const { stdout, stderr, code } = await runCli(["bench", "closed", `http://127.0.0.1:${listener.port}/`, "-c", "1", "--stages", "1s:8,0.6s:8,0s:2,0.6s:2", "--repeat", "1", "--json"]);
  clearInterval(sampler);
  expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
  const [run] = JSON.parse(stdout).runs;
  expect(run.concurrency).toBe(8);
  expect(run.durationS).toBeGreaterThan(2);

  const during = (fromMs: number, toMs: number) => samples.filter((s) => s.tMs >= fromMs && s.tMs < toMs);
  const most = (list: typeof samples, pick: (s: (typeof samples)[number]) => number) => Math.max(...list.map(pick));
  // The ramp: few connections early, all eight by its end; never more than the profile's most.
  expect(most(during(0, 250), (s) => s.open)).toBeLessThanOrEqual(4);
  expect(most(during(1100, 1600), (s) => s.open)).toBe(8);
  expect(most(samples, (s) => s.open)).toBeLessThanOrEqual(8);
  // Requests in flight at the server follow the level up and, after the step, down to two.
  expect(most(during(1100, 1600), (s) => s.held)).toBeGreaterThanOrEqual(7);
  expect(most(during(1800, 2100), (s) => s.held)).toBeLessThanOrEqual(2);
  expect(most(during(1800, 2100), (s) => s.held)).toBeGreaterThanOrEqual(1);
}, 30_000);

test.each([
  [["--stages", "1s:10", "-n", "100"], "--stages: the stages set how long the run lasts: give neither -n nor -d with them"],
  [["--stages", "1s:0"], "--stages: no stage opens a connection: 1s:0"],
  [["--stages", "0s:5"], "--stages: the stages last no time: 0s:5"],
])("bad closed stages exit 2 naming the flag: %p", async (args, message) => {
  const { code, stderr } = await runCli(["bench", "closed", `http://127.0.0.1:${listener.port}/`, ...args]);
  expect(code).toBe(2);
  expect(stderr).toContain(message);
});
