import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { join } from "node:path";
import { epoll } from "../../src/client/epoll.ts";
import type { TransportHandler, TransportSocket } from "../../src/client/transport.ts";

/**
 * The epoll socket layer on its own, against Bun.listen servers on loopback: the events it reports
 * must be the ones the engine gets from Bun's sockets (open, data, drain, close, dialFailed), with
 * the same error codes.
 */

const listeners: { stop(closeActive?: boolean): void }[] = [];
afterAll(() => {
  for (const listener of listeners) listener.stop(true);
});

type Event = [string, ...unknown[]];

/** A handler that records what happens, and resolves `next(name)` when an event of that name comes. */
function recorder() {
  const events: Event[] = [];
  const waiting = new Map<string, () => void>();
  const note = (event: Event) => {
    events.push(event);
    waiting.get(event[0])?.();
  };
  const handler: TransportHandler<string> = {
    open: () => note(["open"]),
    data: (_, chunk) => note(["data", Buffer.from(chunk).toString()]),
    drain: () => note(["drain"]),
    close: (_, error) => note(["close", (error as { code?: string } | undefined)?.code]),
    dialFailed: (_, failure, reason) => note(["dialFailed", failure, reason]),
  };
  const next = (name: string) =>
    events.some(([n]) => n === name) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(name, resolve));
  return { events, handler, next };
}

/** A server whose sockets are handed to `onOpen`, and whose reads are collected. */
function server(onOpen: (socket: Socket<undefined>) => void = () => {}) {
  const received: string[] = [];
  const closed: number[] = [];
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: onOpen,
      data: (socket, chunk) => {
        received.push(chunk.toString());
        socket.write(chunk);
      },
      close: () => {
        closed.push(1);
      },
    },
  });
  listeners.push(listener);
  return { port: listener.port, received, closed };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await Bun.sleep(5);
  expect(condition()).toBe(true);
};

describe.if(process.platform === "linux")("epoll sockets", () => {
  const layer = epoll()!;

  test("addresses: IPv4, IPv6 with :: and a dotted tail; names and zones are not addresses", () => {
    expect([...layer.address("127.0.0.1", 8080)!.bytes]).toEqual([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const v6 = layer.address("2001:db8::8:800:200c:417a", 443)!;
    expect(v6.family).toBe(10);
    expect([...v6.bytes]).toEqual([
      10, 0, 1, 0xbb, 0, 0, 0, 0,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0x00, 0x20, 0x0c, 0x41, 0x7a,
      0, 0, 0, 0,
    ]);
    expect([...layer.address("::1", 80)!.bytes.subarray(8, 24)]).toEqual([...new Array(15).fill(0), 1]);
    expect([...layer.address("::ffff:1.2.3.4", 80)!.bytes.subarray(8, 24)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect(layer.address("localhost", 80)).toBeNull();
    expect(layer.address("fe80::1%eth0", 80)).toBeNull();
  });

  test("open, write, data; end() closes without a close event", async () => {
    const peer = server();
    const { events, handler, next } = recorder();
    let socket: TransportSocket<string> | undefined;
    layer.connect(layer.address("127.0.0.1", peer.port)!, "a", {
      ...handler,
      open: (s) => {
        socket = s;
        handler.open(s);
      },
    });
    await next("open");
    expect(socket!.data).toBe("a");
    // From an offset: the bytes between offset and offset + length, and no others.
    expect(socket!.write(new TextEncoder().encode("xxpingyy"), 2, 4)).toBe(4);
    await next("data");
    expect(events).toEqual([["open"], ["data", "ping"]]);
    socket!.end();
    await until(() => peer.closed.length === 1);
    await Bun.sleep(20);
    expect(events).toEqual([["open"], ["data", "ping"]]);
    expect(socket!.write(new Uint8Array(1), 0, 1)).toBe(-1);
  });

  test("a refused connect is a dialFailed with its code, and nothing else", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const { events, handler, next } = recorder();
    layer.connect(layer.address("127.0.0.1", port)!, "b", handler);
    await next("dialFailed");
    await Bun.sleep(20);
    expect(events).toEqual([["dialFailed", "connect", "ECONNREFUSED"]]);
  });

  test("out of file descriptors: the connects that cannot get one fail with EMFILE", async () => {
    const script = join(import.meta.dir, "../fixtures/epoll-connect-many.ts");
    const child = Bun.spawn(["sh", "-c", `ulimit -n 64 && exec "${process.execPath}" "${script}"`], { stderr: "pipe" });
    const outcomes = JSON.parse(await new Response(child.stdout).text());
    expect(await child.exited).toBe(0);
    expect(outcomes.open + outcomes.EMFILE).toBe(100);
    expect(outcomes.open).toBeGreaterThan(0);
    expect(outcomes.EMFILE).toBeGreaterThan(0);
  });

  test("the peer's close, and the peer's reset, are close events", async () => {
    for (const [how, code] of [["end", undefined], ["terminate", "ECONNRESET"]] as const) {
      const peer = server((socket) => {
        // A reset needs something unread or a zero linger; Bun's terminate() gives the reset.
        setTimeout(() => (how === "end" ? socket.end() : socket.terminate()), 10);
      });
      const { events, handler, next } = recorder();
      layer.connect(layer.address("127.0.0.1", peer.port)!, "c", handler);
      await next("close");
      expect(events.at(-1)).toEqual(["close", code]);
    }
  });

  test("a write the kernel cannot take whole: the rest waits for drain", async () => {
    let serverSocket: Socket<undefined> | undefined;
    let read = 0;
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          serverSocket = socket;
          socket.pause();
        },
        data(_, chunk) {
          read += chunk.length;
        },
      },
    });
    listeners.push(listener);
    const { handler, next } = recorder();
    let socket: TransportSocket<string> | undefined;
    layer.connect(layer.address("127.0.0.1", listener.port)!, "d", { ...handler, open: (s) => (socket = s) });
    await until(() => socket !== undefined && serverSocket !== undefined);
    const big = new Uint8Array(64 * 1024 * 1024);
    const written = socket!.write(big, 0, big.length);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(big.length);
    serverSocket!.resume();
    await next("drain");
    await until(() => read === written);
    socket!.end();
  });
});
