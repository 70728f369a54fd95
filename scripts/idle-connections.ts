#!/usr/bin/env bun
/**
 * How `minibench serve` holds up under many idle keep-alive connections: opens N connections to a
 * spawned server, each having done one request, then reports the server's resident memory and the
 * latency of a new request on a new connection (median of several).
 *
 *   bun scripts/idle-connections.ts [--connections 10000] [--samples 21]
 *
 * Target: RSS < 100 MB and a new request answered within 10 ms with 10,000 idle connections.
 */
import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startServeChild } from "../src/server/child.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "10000" },
    samples: { type: "string", default: "21" },
  },
});
const connections = Number(values.connections);
const samples = Number(values.samples);
/** The listen backlog is 512: more pending connects than that overflow it and cost 1 s SYN retries. */
const BATCH = 256;
const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: idle\r\n\r\n");
const RESPONSE_BYTES = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok".length;

function openFilesLimit(pid: number | "self"): number {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  return Number(line.split(/\s+/)[3]);
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// This process holds one end of every connection and the server the other, plus some spare.
const needed = connections + samples + 100;
if (openFilesLimit("self") < needed) {
  console.error(`open-file limit is ${openFilesLimit("self")}, ${needed} needed: run \`ulimit -n ${Math.max(needed, 65536)}\` first`);
  process.exit(1);
}

const server = await startServeChild(
  ["--max-connections", String(connections + samples + 10), "--idle-timeout-ms", "600000"],
  [process.execPath, new URL("../src/cli.ts", import.meta.url).pathname],
);
const port = Number(new URL(server.url).port);
if (openFilesLimit(server.pid) < needed) console.error(`warning: the server's open-file limit is ${openFilesLimit(server.pid)}`);

let closedCount = 0;

interface Probe {
  received: number;
  done: () => void;
}

/** Connects, sends one request, resolves with the socket once the whole response arrived. */
async function oneRequest(): Promise<Socket<Probe>> {
  let answered!: () => void;
  const response = new Promise<void>((resolve) => (answered = resolve));
  const socket = await Bun.connect<Probe>({
    hostname: "127.0.0.1",
    port,
    data: { received: 0, done: answered },
    socket: {
      data(socket, chunk) {
        socket.data.received += chunk.length;
        if (socket.data.received >= RESPONSE_BYTES) socket.data.done();
      },
      close() {
        closedCount++;
      },
      error() {},
    },
  });
  socket.write(REQUEST);
  await response;
  return socket;
}

await Bun.sleep(200);
const baselineRss = rssBytes(server.pid);
const held: Socket<Probe>[] = [];
const openStartedAt = performance.now();
for (let opened = 0; opened < connections; opened += BATCH) {
  const batch = Array.from({ length: Math.min(BATCH, connections - opened) }, oneRequest);
  held.push(...(await Promise.all(batch)));
}
const openS = (performance.now() - openStartedAt) / 1000;
await Bun.sleep(1000);
const idleRss = rssBytes(server.pid);

const latenciesMs: number[] = [];
for (let i = 0; i < samples; i++) {
  const startedAt = performance.now();
  const socket = await oneRequest();
  latenciesMs.push(performance.now() - startedAt);
  socket.end();
  await Bun.sleep(20);
}
latenciesMs.sort((a, b) => a - b);
const medianMs = latenciesMs[Math.floor(latenciesMs.length / 2)]!;
const stillOpen = connections - Math.max(0, closedCount - samples);

console.log(`idle connections:      ${connections} (opened in ${openS.toFixed(1)} s, ${stillOpen} still open)`);
console.log(`server RSS:            ${mb(idleRss)} (${mb(baselineRss)} before connections, ${((idleRss - baselineRss) / connections / 1024).toFixed(1)} KiB per connection)`);
console.log(`new request (connect + request + response): median ${medianMs.toFixed(2)} ms, max ${latenciesMs.at(-1)!.toFixed(2)} ms over ${samples}`);
const pass = idleRss < 100 * 2 ** 20 && medianMs < 10;
console.log(pass ? "target met: RSS < 100 MB, new request < 10 ms" : "target missed: RSS < 100 MB and new request < 10 ms");

for (const socket of held) socket.terminate();
await server.stop();
process.exit(pass ? 0 : 1);
