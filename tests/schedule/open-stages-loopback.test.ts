import { afterAll, expect, test } from "bun:test";
import { bunTcp } from "../../src/client/bun-sockets.ts";
import { nowUs } from "../../src/client/clock.ts";
import { Engine } from "../../src/client/engine.ts";
import { buildTarget } from "../../src/client/target.ts";
import { openLoop } from "../../src/schedule/open.ts";
import { LoadProfile, parseStages } from "../../src/schedule/stages.ts";
import { Waker } from "../../src/schedule/waker.ts";
import { Tally } from "../../src/stats/tally.ts";

/**
 * A profile run for real on loopback: a server that timestamps each request as it arrives (on the
 * same monotonic clock, in this process) shows what the target sees of the profile.
 */

const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
const arrivalsUs: number[] = [];
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    data(socket, chunk) {
      const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
      for (let i = 0; i < requests; i++) {
        arrivalsUs.push(nowUs());
        socket.write(RESPONSE);
      }
    },
  },
});
afterAll(() => server.stop(true));

test("the server sees the profile: every request, none early, none in the stage at rate 0", async () => {
  const profile = new LoadProfile(100, parseStages("--stages", "0.6s:100,0s:400,0.6s:400,1s:0,0.3s:0,0s:150,0.5s:150"));
  const target = buildTarget({ url: `http://127.0.0.1:${server.port}/`, method: "GET", headers: [], body: null, keepAlive: true, insecure: false });
  const engine = new Engine({ target, connections: 20, pipeline: 1, keepAlive: true, timeoutMs: 5000, transport: bunTcp(target) });
  expect(await engine.open()).toBeNull();
  const waker = await Waker.start();
  try {
    const startUs = nowUs() + 20_000;
    engine.tally = new Tally(startUs, startUs + profile.durationS * 1e6);
    await openLoop(engine, { profile, arrival: "constant", startUs, backlog: 100, drainUs: 2_000_000 }, nowUs, undefined, waker);
    // 60 + 240 + 200 + 0 + 75 = 575 requests, all answered.
    expect(profile.total).toBe(575);
    expect(engine.tally.ok).toBe(575);
    expect(arrivalsUs).toHaveLength(575);
    // If every request arrives after its due time, the k-th arrival comes after the k-th due time
    // H⁻¹(k): so none is early, and the lateness of the k-th shows how closely the server's view
    // follows the profile (at 400 req/s, a bucket miss of 2 requests is 5 ms of lateness).
    const lateUs = [...arrivalsUs].sort((a, b) => a - b).map((t, k) => t - (startUs + profile.timeOfArea(k) * 1e6));
    expect(Math.min(...lateUs)).toBeGreaterThanOrEqual(0);
    lateUs.sort((a, b) => a - b);
    expect(lateUs[Math.floor(lateUs.length / 2)]!).toBeLessThan(5_000);
    // The stage at rate 0 holds no arrival, unless the machine stalls for 200 ms.
    const silent = arrivalsUs.filter((t) => t >= startUs + 2.35e6 && t < startUs + 2.5e6);
    expect(silent).toEqual([]);
  } finally {
    waker.stop();
    engine.close();
  }
});
