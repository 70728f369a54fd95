import { nowUs } from "../../src/client/clock.ts";
import { buildTarget } from "../../src/client/target.ts";
import type { LoadOptions } from "../../src/config/plan.ts";

const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

/**
 * A server of known capacity: one request at a time, whatever the connection, each for a fixed
 * service time, so μ = 1 / service time. Each response is due when the one before it was due plus
 * the service time (or on arrival plus the service time, when idle): a late timer delays that
 * response but not the next, so μ holds however busy the machine is.
 */
export function knownCapacityServer(serviceMs: number) {
  let lastDueUs = 0;
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
        for (let i = 0; i < requests; i++) {
          lastDueUs = Math.max(nowUs(), lastDueUs) + serviceMs * 1000;
          // A socket closed meanwhile takes nothing (-1): the request was still served, as a real server's would be.
          setTimeout(() => socket.write(RESPONSE), (lastDueUs - nowUs()) / 1000);
        }
      },
    },
  });
  return { port: listener.port, capacityRps: 1000 / serviceMs, stop: () => listener.stop(true) };
}

/** Plain keep-alive GETs to a loopback port, one thread. */
export function loadOf(port: number): LoadOptions {
  return {
    target: buildTarget({ url: `http://127.0.0.1:${port}/`, method: "GET", headers: [], body: null, keepAlive: true, insecure: false }),
    keepAlive: true,
    pipeline: 1,
    timeoutMs: 5000,
    threads: 1,
  };
}
