import type { SocketHandler } from "bun";
import { lookup } from "node:dns/promises";
import type { ErrorKind } from "../stats/result.ts";
import { nowUs } from "./clock.ts";
import { epoll, type Epoll, type EpollHandler, type SocketAddress } from "./epoll.ts";
import { outOfFiles } from "./fd-limit.ts";
import { PARSE_ERROR, ResponseParser, type ResponseSink } from "./response-parser.ts";
import { Tally } from "../stats/tally.ts";
import type { Target } from "./target.ts";

/**
 * The connection engine: how bytes move. It owns `connections` sockets, each carrying up to
 * `pipeline` requests in flight, and turns every request it accepts into exactly one outcome in
 * the tally — a response or an error of one kind — so that `ok + Σ errors == requests` always holds.
 *
 * It never decides *when* to send: a scheduler calls `send()` with the intended send time and is
 * told through `onSlotFree` whenever capacity frees up.
 */

export interface EngineOptions {
  target: Target;
  connections: number;
  pipeline: number;
  keepAlive: boolean;
  timeoutMs: number;
  /** Which sockets carry the requests: Bun.connect's, or the epoll layer's where it can serve (see epoll.ts). */
  sockets: SocketLayer;
}

export type SocketLayer = "bun" | "epoll";

/** What the engine uses of a socket, Bun's or the epoll layer's. */
interface ClientSocket {
  readonly data: Connection;
  /** Bytes taken; fewer means a drain follows, -1 that the socket is gone. */
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
}

export interface EngineListener {
  onSlotFree(): void;
}

/** The listen backlog of most servers is 512: more simultaneous connects overflow it and cost 1 s SYN retries. */
const MAX_CONNECTING = 256;

/** A failed connect rejects the promise and also calls connectError, where it is counted. Shared: no closure per connect. */
const reportedByConnectError = () => {};

const DISCONNECTED = 0;
const CONNECTING = 1;
const OPEN = 2;

class Connection implements ResponseSink {
  state = DISCONNECTED;
  socket: ClientSocket | null = null;
  readonly parser: ResponseParser;
  /** In-flight requests, oldest first: when each was meant to go and when the engine took it. */
  readonly intendedUs: Float64Array;
  readonly sentUs: Float64Array;
  head = 0;
  inFlight = 0;
  /** Requests taken but not yet written: while connecting, or while this connection's data is being handled. */
  unsent = 0;
  /** Bytes the kernel did not take yet. */
  pending: Uint8Array | null = null;
  handlingData = false;
  /** Set when a response closed the connection in the middle of a read: the rest of the read is ignored. */
  detached = false;

  constructor(
    readonly engine: Engine,
    pipeline: number,
  ) {
    this.parser = new ResponseParser(this);
    this.parser.headRequests = engine.options.target.head;
    this.intendedUs = new Float64Array(pipeline);
    this.sentUs = new Float64Array(pipeline);
  }

  onResponse(status: number, keepAlive: boolean): void {
    if (this.detached) return;
    this.engine.responded(this, status, keepAlive);
  }
}

const NOBODY: EngineListener = { onSlotFree() {} };

export class Engine {
  tally = new Tally(0);
  listener: EngineListener = NOBODY;
  readonly options: EngineOptions;
  private readonly connections: Connection[] = [];
  /** One entry per free slot: a connection appears here once for each request it can still take. */
  private readonly free: Connection[] = [];
  /** `batches[n]` is the request repeated n times, so n requests to one connection are one write, with no view made per write. */
  private readonly batches: Uint8Array[] = [];
  private connecting = 0;
  /** Slots freed by the event being handled, not yet announced to the scheduler. */
  private freed = 0;
  private sending = false;
  private announceQueued = false;
  private readonly waitingToConnect: Connection[] = [];
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly handler: SocketHandler<Connection> & EpollHandler<Connection>;
  /** The epoll layer, when the options ask for it and it can serve; else Bun.connect is used. */
  private readonly epoll: Epoll | null;
  /** The target's address, for the epoll layer; resolved by open(). */
  private address: SocketAddress | null = null;
  /** Told of each connection attempt's outcome while `open()` waits. */
  private onSettled: ((error: string | null) => void) | null = null;

  constructor(options: EngineOptions) {
    this.options = options;
    const request = options.target.request;
    const requests = new Uint8Array(request.length * options.pipeline);
    for (let i = 0; i < options.pipeline; i++) requests.set(request, i * request.length);
    for (let n = 0; n <= options.pipeline; n++) this.batches.push(requests.subarray(0, n * request.length));
    for (let i = 0; i < options.connections; i++) {
      const connection = new Connection(this, options.pipeline);
      this.connections.push(connection);
      for (let k = 0; k < options.pipeline; k++) this.free.push(connection);
    }
    this.handler = this.socketHandler();
    this.epoll = options.sockets === "epoll" && !options.target.tls ? epoll() : null;
    // One sweep for every request timeout: a tick of a tenth of the timeout keeps it within ~10%.
    const tickMs = Math.min(250, Math.max(5, options.timeoutMs / 10));
    this.sweep = setInterval(() => this.expireTimeouts(), tickMs);
  }

  get freeSlots(): number {
    return this.free.length;
  }

  get inFlight(): number {
    return this.options.connections * this.options.pipeline - this.free.length;
  }

  /**
   * Opens the connections of a keep-alive run (one, as a probe, otherwise) before the clock starts.
   * Returns the error of the last failure when no connection could be opened, else null.
   */
  async open(): Promise<string | null> {
    if (this.epoll === null) return this.openConnections();
    const { hostname, port } = this.options.target;
    let addresses: { address: string }[];
    try {
      addresses = await lookup(hostname, { all: true });
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
    // As wrk does: the run uses the first of the name's addresses that takes a connection.
    let error: string | null = null;
    for (const { address } of addresses) {
      this.address = this.epoll.address(address, port);
      error = await this.openConnections();
      if (error === null) break;
    }
    return error;
  }

  private async openConnections(): Promise<string | null> {
    const count = this.options.keepAlive ? this.connections.length : 1;
    let opened = 0;
    let settled = 0;
    let lastError: string | null = null;
    await new Promise<void>((resolve) => {
      this.onSettled = (error) => {
        if (error === null) opened++;
        else lastError = error;
        if (++settled === count) resolve();
      };
      for (const connection of this.connections.slice(0, count)) {
        connection.state = CONNECTING;
        this.connect(connection);
      }
    });
    this.onSettled = null;
    return opened > 0 ? null : lastError;
  }

  /** Sends one request meant to go at `intendedUs` (now, if omitted). Returns false when no slot is free. */
  send(intendedUs?: number): boolean {
    const connection = this.free.pop();
    if (connection === undefined) return false;
    const sentUs = nowUs();
    intendedUs ??= sentUs;
    const slot = (connection.head + connection.inFlight) % connection.intendedUs.length;
    connection.intendedUs[slot] = intendedUs;
    connection.sentUs[slot] = sentUs;
    connection.inFlight++;
    connection.unsent++;
    this.tally.onSend(intendedUs, sentUs);
    if (connection.state === OPEN) {
      if (!connection.handlingData) this.writeUnsent(connection);
    } else if (connection.state === DISCONNECTED) {
      connection.state = CONNECTING;
      this.sending = true;
      this.connect(connection);
      this.sending = false;
    }
    return true;
  }

  /** Stops everything: requests still in flight are abandoned, not counted. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
    for (const connection of this.connections) {
      const socket = connection.socket;
      connection.socket = null;
      connection.state = DISCONNECTED;
      socket?.terminate();
    }
  }

  responded(connection: Connection, status: number, keepAlive: boolean): void {
    // A response nobody asked for cannot be matched to a request; the next read will show what is wrong.
    if (connection.inFlight === 0) return;
    const now = nowUs();
    const i = connection.head;
    connection.head = (i + 1) % connection.intendedUs.length;
    connection.inFlight--;
    this.tally.onResponse(status, connection.intendedUs[i]!, connection.sentUs[i]!, now);
    // Without keep-alive we asked for the close ourselves, whether or not the server says it will.
    if (!keepAlive || !this.options.keepAlive) {
      // Requests pipelined behind a response that closes the connection will never be answered.
      this.detach(connection, false);
      this.failInFlight(connection, "closed", now);
    }
    this.free.push(connection);
    this.freed++;
  }

  private connect(connection: Connection): void {
    if (this.connecting >= MAX_CONNECTING) {
      this.waitingToConnect.push(connection);
      return;
    }
    this.connecting++;
    connection.parser.reset();
    connection.detached = false;
    if (this.epoll !== null && this.address !== null) {
      this.epoll.connect(this.address, connection, this.handler);
      return;
    }
    const { target } = this.options;
    Bun.connect<Connection>({
      hostname: target.hostname,
      port: target.port,
      data: connection,
      socket: this.handler,
      tls: target.tls ? { rejectUnauthorized: !target.insecure, serverName: target.hostname } : undefined,
    }).catch(reportedByConnectError);
  }

  private connectDone(): void {
    this.connecting--;
    const next = this.waitingToConnect.shift();
    if (next !== undefined && !this.closed) this.connect(next);
  }

  private opened(connection: Connection, socket: ClientSocket): void {
    this.connectDone();
    if (this.closed) {
      socket.terminate();
      return;
    }
    connection.socket = socket;
    connection.state = OPEN;
    // No setNoDelay(true): Bun.connect already sets TCP_NODELAY on every socket, and one more
    // setsockopt per connection is a measurable cost when each request opens a connection.
    this.onSettled?.(null);
    if (connection.unsent > 0) this.writeUnsent(connection);
  }

  private connectFailed(connection: Connection, error: Error & { code?: string }): void {
    this.connectDone();
    connection.state = DISCONNECTED;
    if (!this.tally.outOfFileDescriptors && (error.code === "EMFILE" || error.code === "ENFILE" || outOfFiles())) {
      this.tally.outOfFileDescriptors = true;
    }
    this.onSettled?.(error.code ?? error.message);
    this.failInFlight(connection, "connect", nowUs());
  }

  /** One handler for every socket of either layer: it uses only what both offer (ClientSocket). */
  private socketHandler(): SocketHandler<Connection> & EpollHandler<Connection> {
    const engine = this;
    const tls = this.options.target.tls;
    return {
      open(socket: ClientSocket) {
        // A TLS connection is usable once its handshake succeeded.
        if (!tls) engine.opened(socket.data, socket);
      },
      handshake(socket: ClientSocket, success: boolean, authorizationError: Error | null) {
        const connection = socket.data;
        if (success || engine.options.target.insecure) {
          engine.opened(connection, socket);
          return;
        }
        engine.connectDone();
        connection.state = DISCONNECTED;
        engine.onSettled?.(authorizationError?.message ?? "TLS handshake failed");
        socket.terminate();
        engine.failInFlight(connection, "tls", nowUs());
        engine.announce();
      },
      connectError(socket: ClientSocket, error: Error) {
        engine.connectFailed(socket.data, error);
        engine.announce();
      },
      data(socket: ClientSocket, chunk: Uint8Array) {
        const connection = socket.data;
        if (connection.socket !== socket) return;
        // Requests sent while this read is handled are written together at its end.
        connection.handlingData = true;
        const status = connection.parser.execute(chunk);
        if (connection.detached) {
          connection.detached = false;
          connection.parser.reset();
        } else if (status === PARSE_ERROR) {
          engine.broken(connection, "parse");
        }
        engine.announce();
        connection.handlingData = false;
        if (connection.unsent > 0 && connection.state === OPEN) engine.writeUnsent(connection);
      },
      drain(socket: ClientSocket) {
        const connection = socket.data;
        if (connection.socket !== socket || connection.pending === null) return;
        const pending = connection.pending;
        connection.pending = null;
        engine.write(connection, pending);
      },
      close(socket: ClientSocket, error?: Error) {
        const connection = socket.data;
        if (connection.socket !== socket) return;
        // A body delimited by the connection's end completes now.
        connection.parser.connectionClosed();
        if (connection.socket === socket) {
          engine.detach(connection, false);
          const code = (error as { code?: string } | undefined)?.code;
          engine.failInFlight(connection, code === "ECONNRESET" ? "reset" : "closed", nowUs());
        }
        engine.announce();
      },
      error() {
        // Always followed by close, which counts what was lost.
      },
    };
  }

  /** A connection that can no longer be trusted: the oldest request failed as `kind`, the rest as closed. */
  private broken(connection: Connection, kind: ErrorKind): void {
    const now = nowUs();
    this.detach(connection, true);
    if (connection.inFlight > 0) this.failOldest(connection, kind, now);
    this.failInFlight(connection, "closed", now);
  }

  private detach(connection: Connection, reset: boolean): void {
    const socket = connection.socket;
    connection.socket = null;
    connection.state = DISCONNECTED;
    connection.pending = null;
    connection.detached = connection.handlingData;
    if (reset) socket?.terminate();
    else socket?.end();
  }

  private failOldest(connection: Connection, kind: ErrorKind, now: number): void {
    const i = connection.head;
    connection.head = (i + 1) % connection.intendedUs.length;
    connection.inFlight--;
    connection.unsent = Math.min(connection.unsent, connection.inFlight);
    this.tally.onError(kind, connection.intendedUs[i]!, now);
    this.free.push(connection);
    this.freed++;
  }

  /** Every request in flight on the connection fails as `kind`. */
  private failInFlight(connection: Connection, kind: ErrorKind, now: number): void {
    while (connection.inFlight > 0) this.failOldest(connection, kind, now);
  }

  /**
   * Tells the scheduler about the slots freed by the event being handled. Done once at the end of
   * each event, when the engine's state is consistent again, because the scheduler reacts by
   * sending (possibly on the very connection that just failed).
   */
  private announce(): void {
    // A connect can fail synchronously inside send(): announcing then would re-enter the scheduler
    // in the middle of its own loop, so it waits for send() to return.
    if (this.sending) {
      if (!this.announceQueued) {
        this.announceQueued = true;
        queueMicrotask(() => {
          this.announceQueued = false;
          this.announce();
        });
      }
      return;
    }
    while (this.freed > 0 && !this.closed) {
      this.freed--;
      this.listener.onSlotFree();
    }
  }

  private writeUnsent(connection: Connection): void {
    const n = connection.unsent;
    connection.unsent = 0;
    this.write(connection, this.batches[n]!);
  }

  private write(connection: Connection, bytes: Uint8Array): void {
    const socket = connection.socket;
    if (socket === null) return;
    if (connection.pending !== null) {
      connection.pending = Buffer.concat([connection.pending, bytes]);
      return;
    }
    const written = socket.write(bytes);
    if (written >= 0 && written < bytes.length) connection.pending = bytes.subarray(written);
  }

  private expireTimeouts(): void {
    const now = nowUs();
    const limitUs = this.options.timeoutMs * 1000;
    for (const connection of this.connections) {
      if (connection.inFlight > 0 && now - connection.sentUs[connection.head]! > limitUs) {
        this.detach(connection, true);
        this.failInFlight(connection, "timeout", now);
      }
    }
    this.announce();
  }
}
