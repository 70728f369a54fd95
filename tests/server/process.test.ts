import { afterEach, expect, test } from "bun:test";
import { startCluster } from "../../src/server/cluster.ts";
import type { RunningServer } from "../../src/server/server.ts";
import { GET, OK, RawClient, rssBytes, SERVER_DEFAULTS, sleep, spawnServe, type ServeProcess } from "./helpers.ts";

let processes: ServeProcess[] = [];
let clients: RawClient[] = [];
let cluster: RunningServer | undefined;

afterEach(async () => {
  for (const client of clients) if (!client.closed) client.reset();
  for (const { proc } of processes) proc.kill("SIGKILL");
  await cluster?.stop(100);
  processes = [];
  clients = [];
  cluster = undefined;
});

test("a client pipelining without reading cannot grow the server's memory, whatever the body size", async () => {
  const server = await spawnServe(["--body-size", "256k", "--quiet"]);
  processes.push(server);
  const before = rssBytes(server.proc.pid);
  const greedy = await RawClient.connect(server.port, { paused: true });
  clients.push(greedy);
  // Each small request asks for 256 KiB: one read of this burst would be half a gigabyte of answers.
  const burst = Buffer.from(GET.repeat(2000));
  for (let i = 0; i < 20; i++) {
    if (greedy.tryWrite(burst) < burst.length) break;
  }
  await sleep(500);
  const growth = rssBytes(server.proc.pid) - before;
  expect(growth).toBeLessThan(64 << 20);

  const other = await RawClient.connect(server.port);
  clients.push(other);
  other.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  await other.untilText(10);
  expect(other.text.startsWith("HTTP/1.1 200 OK\r\nContent-Length: 262144\r\n")).toBe(true);
});

// SO_REUSEPORT spreads connections over listeners on Linux, where --workers is meant to work.
const linux = process.platform === "linux";

test("--workers 2: two listeners share one port and both serve", async () => {
  if (!linux) return;
  cluster = await startCluster(SERVER_DEFAULTS, 2);
  const opened = await Promise.all(Array.from({ length: 40 }, () => RawClient.connect(cluster!.port)));
  clients.push(...opened);
  for (const client of opened) client.send(GET);
  await Promise.all(opened.map((client) => client.untilText(OK.length)));
  expect(opened.every((client) => client.text === OK)).toBe(true);
  // connectionCount() sees this thread's listener only: the kernel spread the rest to the worker.
  const here = cluster.connectionCount();
  expect(here).toBeGreaterThan(0);
  expect(here).toBeLessThan(40);
});

test("serve --workers 2 answers on the printed port (elsewhere it says it falls back to 1)", async () => {
  const server = await spawnServe(["--workers", "2"]);
  processes.push(server);
  const opened = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(server.port)));
  clients.push(...opened);
  for (const client of opened) client.send(GET);
  await Promise.all(opened.map((client) => client.untilText(OK.length)));
  expect(opened.every((client) => client.text === OK)).toBe(true);
  server.proc.kill("SIGTERM");
  expect(await server.proc.exited).toBe(0);
  if (!linux) expect(await server.stderr()).toContain("running 1 listener");
});
