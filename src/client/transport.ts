/**
 * How bytes reach a server: the engine's only view of sockets, as wrk's `net.c` and `ssl.c` are its
 * state machine's. A transport finds the target's addresses (`resolve`) and opens connections to one
 * of them (`dialer(handler).connect`); every connection then reports to the same handler, so the
 * engine never asks which transport it has.
 *
 * Implementations: Bun's sockets over TCP and over TLS (`bun-sockets.ts`), and Linux's epoll through
 * libc (`epoll.ts`). A new one (HTTP/2's streams over one connection, Unix sockets, a faster open
 * loop) implements this interface and states what it can do in `capabilities`; `choose-transport.ts`
 * picks one for a target.
 */

/** A connection as the engine uses it: Bun's socket and the epoll layer's both fit. */
export interface TransportSocket<T> {
  /** The engine's state for this connection, given to `connect`. */
  readonly data: T;
  /**
   * Writes bytes[offset, offset + length): a request of a pool is written where it lies, with no
   * view made per write. Returns the bytes the kernel took: fewer means `drain` follows once more
   * fit; -1 means the connection is gone.
   */
  write(bytes: Uint8Array, offset: number, length: number): number;
  /** Closes after what was written (the engine calls it only once every byte was taken). */
  end(): void;
  /** Closes at once (a reset where the transport can). */
  terminate(): void;
}

/** Why a connection was never usable: the TCP connect failed, or the TLS handshake did. */
export type DialFailure = "connect" | "tls";

/**
 * What a transport tells the engine, for every connection, always from its own event loop and
 * never inside the call that caused it (a connect's outcome comes later, even a refusal). After
 * `end()` or `terminate()` a `close` may or may not follow: the engine ignores a socket it let go.
 */
export interface TransportHandler<T> {
  /** The connection is usable: connected, and for TLS past a handshake that succeeded (or `--insecure`). */
  open(socket: TransportSocket<T>): void;
  /** The connection could not be made; `reason` is an errno name (ECONNREFUSED, EMFILE) or TLS's message. */
  dialFailed(data: T, failure: DialFailure, reason: string): void;
  /** Bytes from the server. The chunk is valid only during the call: a transport may reuse its buffer. */
  data(socket: TransportSocket<T>, chunk: Uint8Array): void;
  /** A write that was not taken whole can continue. */
  drain(socket: TransportSocket<T>): void;
  /** The server closed the connection (or it failed); `error.code` is ECONNRESET for a reset. */
  close(socket: TransportSocket<T>, error?: Error): void;
}

/** Opens connections that report to one handler. */
export interface Dialer<A, T> {
  /** Starts a connection to `address` (one of `resolve()`'s) carrying `data`; the outcome comes to the handler. */
  connect(address: A, data: T): void;
}

/** What a transport can do, for the choice of one (the engine itself never looks). */
export interface TransportCapabilities {
  /**
   * Bun's timers fire on time while this transport's connections are busy. The epoll layer holds
   * them back by up to a few milliseconds; an open loop, whose accuracy is its timers', needs this.
   */
  punctualTimers: boolean;
}

export interface Transport<A = unknown> {
  /** For messages and tests: "tcp", "tls", "epoll". */
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  /**
   * The target's addresses, in the order to try them: the engine uses the first that takes a
   * connection, as wrk does. Rejects with an error whose `code` says why (ENOTFOUND…).
   */
  resolve(): Promise<A[]>;
  /** A dialer whose connections report to `handler`: made once per engine, not per connection. */
  dialer<T>(handler: TransportHandler<T>): Dialer<A, T>;
}
