import type { Library, Pointer } from "bun:ffi";
import { lookup } from "node:dns/promises";
import { isIPv4, isIPv6 } from "node:net";
import { constants } from "node:os";
import { openLibc } from "../libc.ts";
import { ipv6Bytes } from "./ipv6.ts";
import type { Target } from "./target.ts";
import type { Transport, TransportHandler } from "./transport.ts";

/**
 * Client TCP sockets on Linux's epoll, through libc: the transport of closed loops over plain HTTP
 * on Linux.
 *
 * Bun.connect spends ~4 µs of CPU per connection on its own bookkeeping (a socket context, a set of
 * protected callbacks and a promise for every connect), about twice what wrk spends on a whole
 * request; with a new connection per request that kept a load generator on one core below 0.9× wrk.
 * Here a connection costs its syscalls and a few FFI calls: socket, TCP_NODELAY, connect (twice, the
 * second to learn that the handshake is done), epoll_ctl, send, recv, close, and an epoll_wait shared
 * by every socket that is ready at once.
 *
 * The sockets offer what the engine uses of Bun's (write, end, terminate, data) and call the
 * transport handler as Bun's do, so the engine is the same over both. As with Bun, the outcome of a
 * connect is told later, from the loop, never inside connect(). Unlike Bun, end() and terminate()
 * close the descriptor without a close callback: the engine, which closed it, has no use for one.
 *
 * The loop yields to Bun's event loop after every batch of events, and epoll_wait blocks this
 * thread only once several looks found nothing, for WAIT_MS at most, so Bun's timers (a run's end,
 * the timeout sweep, Ctrl-C) are late by WAIT_MS at most. That is why an open loop, whose accuracy
 * is its timers', stays on Bun's sockets (the transport says `punctualTimers: false`).
 */

/** A resolved address in the form connect() takes. */
export interface SocketAddress {
  family: number;
  bytes: Uint8Array;
  pointer: Pointer;
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const MSG_NOSIGNAL = 0x4000;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const { EAGAIN, EINPROGRESS, EALREADY, EISCONN } = constants.errno;

/** At most this long in epoll_wait before Bun's own loop gets a turn. */
const WAIT_MS = 5;
/**
 * Turns of Bun's loop taken without blocking after a look that found nothing, before epoll_wait may
 * block: whatever else this thread serves (a server in the same process, say) gets them first.
 */
const POLL_ROUNDS = 8;
const MAX_EVENTS = 256;
/** Bun reads up to 512 KB at a time too. */
const READ_BYTES = 512 * 1024;
// struct epoll_event is packed on x86-64 (12 bytes) and aligned elsewhere (16).
const EVENT_BYTES = process.arch === "x64" ? 12 : 16;
const EVENT_DATA = process.arch === "x64" ? 4 : 8;

const SYMBOLS = {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  // ssize_t results read as i32: Linux moves at most ~2 GB in one call (MAX_RW_COUNT).
  send: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
  recv: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  epoll_create1: { args: ["i32"], returns: "i32" },
  epoll_ctl: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
} as const;

type Ffi = typeof import("bun:ffi");
type Libc = Library<typeof SYMBOLS>["symbols"];

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, code]) => [code, name]));

/** An Error as Bun's sockets report them: with the errno's name as `code`. */
function errnoError(errno: number): Error & { code: string } {
  const code = errnoName(errno);
  return Object.assign(new Error(code), { code });
}

const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `errno ${errno}`;

export class EpollSocket<T> {
  /** Waiting for the kernel to finish the handshake. */
  connecting = false;
  /** Why the connect failed (an errno), once it has; 0 while all is well. */
  connectErrno = 0;
  /** Asked for EPOLLOUT because a write did not fit. */
  waitingToWrite = false;
  /**
   * Why a send failed (an errno), 0 while none has. The kernel reports a socket's error once: when
   * a send meets a reset, the read that follows sees only an end, so the close takes its cause from here.
   */
  sendErrno = 0;

  constructor(
    readonly data: T,
    readonly fd: number,
    /** Tells apart events for a descriptor number that was closed and given to a new socket. */
    readonly id: number,
    private readonly layer: Epoll,
    readonly handler: TransportHandler<T>,
  ) {}

  /** Bytes the kernel took (drain follows when not all), or -1 when the socket failed or is gone. */
  write(bytes: Uint8Array, offset: number, length: number): number {
    return this.layer.write(this, bytes, offset, length);
  }

  end(): void {
    this.layer.release(this);
  }

  terminate(): void {
    this.layer.release(this);
  }
}

/** One per thread: an epoll instance and the sockets it watches. */
export class Epoll {
  private readonly sockets: (EpollSocket<unknown> | undefined)[] = [];
  /** Connects whose outcome is known but not yet told: they are told together, after the events at hand. */
  private settled: EpollSocket<unknown>[] = [];
  private open = 0;
  private nextId = 1;
  private running = false;
  private readonly epfd: number;
  private readonly events: DataView;
  private readonly eventsPointer: Pointer;
  private readonly event: DataView;
  private readonly eventPointer: Pointer;
  private readonly readBuffer = new Uint8Array(new ArrayBuffer(READ_BYTES));
  private readonly readPointer: Pointer;
  private readonly int: Int32Array;
  private readonly intPointer: Pointer;
  private readonly intLength: Uint32Array;
  private readonly intLengthPointer: Pointer;
  private readonly errnoPointer: Pointer;

  constructor(
    private readonly c: Libc,
    private readonly ffi: Ffi,
  ) {
    this.errnoPointer = c.__errno_location() as Pointer;
    this.epfd = c.epoll_create1(EPOLL_CLOEXEC);
    if (this.epfd < 0) throw errnoError(this.errno());
    // Views are made before the pointers are taken: making a view can move a small array's storage.
    const events = new Uint8Array(new ArrayBuffer(EVENT_BYTES * MAX_EVENTS));
    this.events = new DataView(events.buffer);
    this.eventsPointer = ffi.ptr(events);
    const event = new Uint8Array(new ArrayBuffer(EVENT_BYTES));
    this.event = new DataView(event.buffer);
    this.eventPointer = ffi.ptr(event);
    this.readPointer = ffi.ptr(this.readBuffer);
    this.int = new Int32Array(new ArrayBuffer(4));
    this.intPointer = ffi.ptr(this.int);
    this.intLength = new Uint32Array(new ArrayBuffer(4));
    this.intLengthPointer = ffi.ptr(this.intLength);
  }

  /**
   * Connects to `address`. The handler hears of the outcome from the loop, never inside this call:
   * at the end of the batch of events being handled, or once epoll says the handshake is over.
   */
  connect<T>(address: SocketAddress, data: T, handler: TransportHandler<T>): void {
    const { c } = this;
    const fd = c.socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const socket = new EpollSocket(data, fd, this.nextId++ >>> 0, this, handler) as EpollSocket<unknown>;
    let errno = fd < 0 ? this.errno() : 0;
    if (fd >= 0) {
      this.int[0] = 1;
      c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.intPointer, 4);
      errno = c.connect(fd, address.pointer, address.bytes.length) === 0 ? 0 : this.errno();
      // In progress: asking again tells whether the handshake is already done (EISCONN), as it
      // always is on loopback. That saves a round of epoll_ctl and epoll_wait per connection.
      if (errno === EINPROGRESS) errno = c.connect(fd, address.pointer, address.bytes.length) === 0 ? 0 : this.errno();
      if (errno === EISCONN) errno = 0;
      if (errno === EALREADY || errno === EINPROGRESS) {
        socket.connecting = true;
        errno = 0;
      } else if (errno !== 0) {
        c.close(fd);
      }
    }
    socket.connectErrno = errno;
    if (errno === 0) {
      this.sockets[fd] = socket;
      this.open++;
      this.watch(EPOLL_CTL_ADD, socket, socket.connecting ? EPOLLOUT : EPOLLIN);
    }
    if (!socket.connecting) this.settled.push(socket);
    if (!this.running) void this.run();
  }

  write(socket: EpollSocket<unknown>, bytes: Uint8Array, offset: number, length: number): number {
    if (this.sockets[socket.fd] !== socket) return -1;
    const written = length === 0 ? 0 : this.c.send(socket.fd, this.ffi.ptr(bytes, offset), length, MSG_NOSIGNAL);
    if (written === length) return written;
    // Any other failure also shows as an error or hang-up event, which closes the socket.
    if (written < 0) {
      const errno = this.errno();
      if (errno !== EAGAIN) {
        if (socket.sendErrno === 0) socket.sendErrno = errno;
        return -1;
      }
    }
    if (!socket.waitingToWrite) {
      socket.waitingToWrite = true;
      this.watch(EPOLL_CTL_MOD, socket, EPOLLIN | EPOLLOUT);
    }
    return Math.max(0, written);
  }

  /** Closes the socket's descriptor (the kernel drops it from epoll); no callback follows. */
  release(socket: EpollSocket<unknown>): void {
    if (this.sockets[socket.fd] !== socket) return;
    this.sockets[socket.fd] = undefined;
    this.open--;
    this.c.close(socket.fd);
  }

  /** The sockaddr for an IP address and port, or null when `ip` is not a plain IPv4 or IPv6 address. */
  address(ip: string, port: number): SocketAddress | null {
    let bytes: Uint8Array;
    let family: number;
    if (isIPv4(ip)) {
      family = AF_INET;
      bytes = new Uint8Array(new ArrayBuffer(16));
      bytes.set(ip.split(".").map(Number), 4);
    } else if (isIPv6(ip) && !ip.includes("%")) {
      family = AF_INET6;
      bytes = new Uint8Array(new ArrayBuffer(28));
      bytes.set(ipv6Bytes(ip), 8);
    } else {
      return null;
    }
    new DataView(bytes.buffer).setUint16(0, family, true);
    bytes[2] = port >> 8;
    bytes[3] = port & 0xff;
    return { family, bytes, pointer: this.ffi.ptr(bytes) };
  }

  private async run(): Promise<void> {
    this.running = true;
    const { c, events } = this;
    let idle = 0;
    while (this.open > 0 || this.settled.length > 0) {
      // Bun's loop first: timers and anything else that waits for this thread.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.tellSettled();
      if (this.open === 0) continue;
      const n = c.epoll_wait(this.epfd, this.eventsPointer, MAX_EVENTS, idle < POLL_ROUNDS ? 0 : WAIT_MS);
      idle = n > 0 ? 0 : idle + 1;
      for (let k = 0; k < n; k++) {
        const at = k * EVENT_BYTES;
        const socket = this.sockets[events.getInt32(at + EVENT_DATA, true)];
        if (socket === undefined || socket.id !== events.getUint32(at + EVENT_DATA + 4, true)) continue;
        this.ready(socket, events.getUint32(at, true));
      }
      // The requests of the connections opened meanwhile then go out together, as wrk's do: a
      // server that is still busy with the first of them needs no wake-up for the others, and
      // waking a sleeping one costs this core more than a whole request's user time.
      this.tellSettled();
    }
    this.running = false;
  }

  /** Tells the outcomes of the connects settled so far; those that follow wait for the next turn. */
  private tellSettled(): void {
    const settled = this.settled;
    if (settled.length === 0) return;
    this.settled = [];
    for (const socket of settled) {
      if (socket.connectErrno !== 0) socket.handler.dialFailed(socket.data, "connect", errnoName(socket.connectErrno));
      else if (this.sockets[socket.fd] === socket) socket.handler.open(socket);
    }
  }

  private ready(socket: EpollSocket<unknown>, flags: number): void {
    const { handler } = socket;
    if (socket.connecting) {
      // Writable, or an error or hang-up: SO_ERROR says which.
      this.intLength[0] = 4;
      this.int[0] = 0;
      this.c.getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, this.intPointer, this.intLengthPointer);
      socket.connecting = false;
      socket.connectErrno = this.int[0]!;
      if (socket.connectErrno !== 0) this.release(socket);
      else this.watch(EPOLL_CTL_MOD, socket, EPOLLIN);
      this.settled.push(socket);
      return;
    }
    if (flags & EPOLLOUT && socket.waitingToWrite) {
      socket.waitingToWrite = false;
      this.watch(EPOLL_CTL_MOD, socket, EPOLLIN);
      handler.drain(socket);
      if (this.sockets[socket.fd] !== socket) return;
    }
    // Readable, or an error or hang-up, which recv reports.
    if (flags & ~EPOLLOUT) this.read(socket);
  }

  private read(socket: EpollSocket<unknown>): void {
    const received = this.c.recv(socket.fd, this.readPointer, READ_BYTES, 0);
    if (received > 0) {
      // A view of a buffer the next read overwrites: the engine parses it and keeps nothing.
      socket.handler.data(socket, this.readBuffer.subarray(0, received));
      return;
    }
    const errno = received === 0 ? socket.sendErrno : this.errno();
    if (errno === EAGAIN) return;
    this.release(socket);
    socket.handler.close(socket, errno === 0 ? undefined : errnoError(errno));
  }

  private watch(op: number, socket: EpollSocket<unknown>, flags: number): void {
    const { event } = this;
    event.setUint32(0, flags, true);
    event.setInt32(EVENT_DATA, socket.fd, true);
    event.setUint32(EVENT_DATA + 4, socket.id, true);
    this.c.epoll_ctl(this.epfd, op, socket.fd, this.eventPointer);
  }

  private errno(): number {
    return this.ffi.read.i32(this.errnoPointer, 0);
  }
}

let layer: Epoll | null | undefined;

/** This thread's epoll layer, or null where there is none (not Linux, no libc, no bun:ffi). */
export function epoll(): Epoll | null {
  if (layer !== undefined) return layer;
  layer = null;
  const c = openLibc(SYMBOLS);
  if (c === null) return null;
  try {
    layer = new Epoll(c, require("bun:ffi") as Ffi);
  } catch {
    // No epoll instance to be had: Bun.connect it is.
  }
  return layer;
}

/**
 * The epoll transport for `target`, or null where there is no epoll layer. It resolves the name once
 * (as wrk does) and connects to the addresses found; Bun's sockets cover everything else.
 */
export function epollTransport(target: Target): Transport<SocketAddress> | null {
  const layer = epoll();
  if (layer === null) return null;
  return {
    name: "epoll",
    capabilities: { punctualTimers: false },
    async resolve() {
      const found = await lookup(target.hostname, { all: true });
      const addresses = found.map(({ address }) => layer.address(address, target.port)).filter((address) => address !== null);
      // Only a zoned IPv6 address (fe80::1%eth0) from the name service cannot be written as a sockaddr here.
      if (addresses.length === 0) throw Object.assign(new Error("EAFNOSUPPORT"), { code: "EAFNOSUPPORT" });
      return addresses;
    },
    dialer: <T>(handler: TransportHandler<T>) => ({
      connect: (address: SocketAddress, data: T) => layer.connect(address, data, handler),
    }),
  };
}
