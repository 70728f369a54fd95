import type { ErrorKind } from "../stats/result.ts";
import type { ResponseChecks } from "../workload/checks.ts";
import type { ResponseCollector, ScriptCheck } from "../workload/script.ts";
import type { PoolSource } from "../workload/workload.ts";
import { nowUs } from "./clock.ts";
import { outOfFiles } from "./fd-limit.ts";
import { PARSE_ERROR, ResponseParser, type ResponseInspector, type ResponseSink } from "./response-parser.ts";
import { BY_STATUS, FAILED_CHECK, PASSED, Tally, type TallyShape } from "../stats/tally.ts";
import type { Target } from "./target.ts";
import type { Dialer, DialFailure, Transport, TransportHandler, TransportSocket } from "./transport.ts";

/**
 * The connection engine: requests out, responses in. It owns `connections` connections, each
 * carrying up to `pipeline` requests in flight, and turns every request it accepts into exactly one
 * outcome in the tally — a response or an error of one kind — so that `ok + Σ errors == requests`
 * always holds.
 *
 * It never decides *when* to send: a scheduler calls `send()` with the intended send time and is
 * told through `onSlotFree` whenever capacity frees up. Nor does it know how bytes move: that is
 * the transport's business (TCP, TLS, epoll), behind one interface.
 *
 * A server may close a keep-alive connection while it is idle (every server does, after its idle
 * timeout). Once the close is seen the connection is simply opened again for the next request;
 * but a request written at the very moment the close was on its way finds the connection gone.
 * Such requests (written on a connection that was already open, closed before any byte of their
 * responses) are sent once more on a new connection if their method is idempotent, as browsers
 * and HTTP libraries do (RFC 9112 §9.3.1), and counted as `retried`, not as the server's errors.
 * A request that fails again, or on a connection opened for it, is an error.
 *
 * Requests come from one of two sources. One fixed request, encoded once (`target.request`),
 * written n at a time from a buffer that holds it `pipeline` times. Or a request pool
 * (`source`): per send the picker chooses a target, whose index the slot keeps; its placeholders
 * are filled just before its bytes are written, straight from the pool's buffer. The pool's
 * bytes are shared and filled again for the next send of the same target, so a write the kernel
 * took only in part keeps a copy of its tail. A request sent again after a lost connection is the
 * same target, filled again: its `{{seq}}` and random values are new ones. When an `once` picker
 * has no more targets, `exhausted` is set and send() refuses: the run ends once all are answered.
 *
 * Response checks (`checks`) are run on what the parser shows each connection: the status, the
 * fields, and the body's content only when a check needs it. A script's `check(response)`
 * (`scriptCheck`) is given every response whole: its fields and body are collected for it, per
 * connection. When it throws, the run stops sending (as when an `once` source is exhausted) and
 * `failure` says why; nothing is thrown from the engine's callbacks.
 */

export interface EngineOptions {
  target: Target;
  connections: number;
  pipeline: number;
  keepAlive: boolean;
  timeoutMs: number;
  /** How bytes reach the target (see choose-transport.ts). */
  transport: Transport;
  /** A request pool to send instead of `target.request`. */
  source?: PoolSource | null;
  checks?: ResponseChecks | null;
  /** A script's `check(response)`, run on each complete response. */
  scriptCheck?: ScriptCheck | null;
}

type ClientSocket = TransportSocket<Connection>;

export interface EngineListener {
  onSlotFree(): void;
}

/** The listen backlog of most servers is 512: more simultaneous connects overflow it and cost 1 s SYN retries. */
const MAX_CONNECTING = 256;

const DISCONNECTED = 0;
const CONNECTING = 1;
const OPEN = 2;

class Connection implements ResponseSink, ResponseInspector {
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
  /**
   * The connection was opened for the requests it carries: if it closes before answering, they
   * fail. Cleared by the first response; a connection opened ahead of its requests starts clear.
   */
  openedForRequests = false;
  /** Per slot: the request is already on its second connection, and will not be sent a third time. */
  readonly retried: Uint8Array;
  /** Per slot: the pool's target it carries. */
  readonly targetOf: Int32Array;
  /** The response being read: bits of the header checks its fields met, and how much of the body needle its body has shown. */
  headerMask = 0;
  bodyState = 0;
  /** With a script's check(response): the response being read, collected for it. */
  readonly collected: ResponseCollector | null;

  constructor(
    readonly engine: Engine,
    pipeline: number,
  ) {
    this.parser = new ResponseParser(this);
    this.parser.headRequests = engine.options.target.head;
    this.intendedUs = new Float64Array(pipeline);
    this.sentUs = new Float64Array(pipeline);
    this.retried = new Uint8Array(pipeline);
    this.targetOf = new Int32Array(pipeline);
    const checks = engine.options.checks?.any ? engine.options.checks : null;
    const script = engine.options.scriptCheck ?? null;
    this.collected = script === null ? null : script.collector();
    if (checks !== null || script !== null) {
      const longestField = Math.max(0, ...(checks?.headers ?? []).map((header) => header.name.length + header.value.length));
      // Room for some whitespace around a value too: a field longer than this can match no expectation.
      const longest = Math.max(longestField + 64, script === null ? 0 : script.longestFieldBytes);
      this.parser.watch(this, script !== null || (checks?.headers.length ?? 0) > 0, script !== null || checks?.body != null, longest);
    }
  }

  onResponse(status: number, keepAlive: boolean): void {
    if (this.detached) return;
    this.engine.responded(this, status, keepAlive);
  }

  startHead(): void {
    this.headerMask = 0;
    this.bodyState = 0;
    this.collected?.startHead();
  }

  field(bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): void {
    const checks = this.engine.options.checks;
    if (checks && checks.headers.length > 0) this.headerMask |= checks.matchField(bytes, nameFrom, nameTo, valueFrom, valueTo);
    this.collected?.field(bytes, nameFrom, nameTo, valueFrom, valueTo);
  }

  content(bytes: Uint8Array, from: number, to: number): void {
    const body = this.engine.options.checks?.body;
    if (body) this.bodyState = body.advance(this.bodyState, bytes, from, to);
    this.collected?.content(bytes, from, to);
  }

  /** The oldest request is done: its slot is freed. Returns the slot. */
  shift(): number {
    const i = this.head;
    this.head = (i + 1) % this.intendedUs.length;
    this.inFlight--;
    this.retried[i] = 0;
    // The parser reads the next response as one to a HEAD request or not, by its target.
    const source = this.engine.source;
    if (source !== null && this.inFlight > 0) this.parser.headRequests = source.pool.head[this.targetOf[this.head]!] === 1;
    return i;
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
  readonly source: PoolSource | null;
  /** The pool's bytes as a Buffer, copied from without a view per request. */
  private readonly poolBytes: Buffer | null;
  /** Pool requests pipelined to one connection, gathered into one write. */
  private gathered = new Uint8Array(0);
  private readonly checks: ResponseChecks | null;
  private readonly scriptCheck: ScriptCheck | null;
  /** A response's verdict when it passed every check: with `--expect-status` the status set, not the status class, decides. */
  private readonly passedVerdict: number;
  /** An `once` source has no more targets: nothing more will be sent. */
  exhausted = false;
  private connecting = 0;
  /** Slots freed by the event being handled, not yet announced to the scheduler. */
  private freed = 0;
  private sending = false;
  private announceQueued = false;
  private readonly waitingToConnect: Connection[] = [];
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly dialer: Dialer<unknown, Connection>;
  /** The address connections go to: the first of the transport's that took one, chosen by open(). */
  private address: unknown = null;
  /** RFC 9110 §9.2.2: only an idempotent request may be sent again after its connection was lost. */
  private readonly fixedRetryable: boolean;
  /** Told of each connection attempt's outcome while `open()` waits. */
  private onSettled: ((error: string | null) => void) | null = null;

  constructor(options: EngineOptions) {
    this.options = options;
    this.source = options.source ?? null;
    this.checks = options.checks?.any ? options.checks : null;
    this.scriptCheck = options.scriptCheck ?? null;
    this.passedVerdict = this.checks?.status ? PASSED : BY_STATUS;
    const pool = this.source?.pool;
    this.poolBytes = pool ? Buffer.from(pool.bytes.buffer, pool.bytes.byteOffset, pool.bytes.byteLength) : null;
    const request = options.target.request;
    const requests = new Uint8Array(request.length * options.pipeline);
    for (let i = 0; i < options.pipeline; i++) requests.set(request, i * request.length);
    for (let n = 0; n <= options.pipeline; n++) this.batches.push(requests.subarray(0, n * request.length));
    for (let i = 0; i < options.connections; i++) {
      const connection = new Connection(this, options.pipeline);
      this.connections.push(connection);
      for (let k = 0; k < options.pipeline; k++) this.free.push(connection);
    }
    this.dialer = options.transport.dialer(this.transportHandler());
    this.fixedRetryable = options.target.idempotent;
    // One sweep for every request timeout: a tick of a tenth of the timeout keeps it within ~10%.
    const tickMs = Math.min(250, Math.max(5, options.timeoutMs / 10));
    this.sweep = setInterval(() => this.expireTimeouts(), tickMs);
  }

  /** What a tally of this engine's runs keeps beside the totals: the pool's groups and the checks. */
  get shape(): TallyShape {
    return {
      generator: this.source === null ? "fixed" : "pool",
      groups: this.source?.pool.groups ?? null,
      checks: this.checks?.names ?? [],
      scriptCheck: this.scriptCheck !== null,
    };
  }

  /** Why a script's `pick(i)` or `check(response)` ended the run, or null. */
  get failure(): Error | null {
    return this.source?.failure ?? this.scriptCheck?.failure ?? null;
  }

  /** The next request is the first of the order again (a repeat starts), and an `once` source is full again. */
  rewind(): void {
    this.source?.rewind();
    this.exhausted = false;
  }

  get freeSlots(): number {
    return this.free.length;
  }

  get inFlight(): number {
    return this.options.connections * this.options.pipeline - this.free.length;
  }

  /**
   * Opens the connections of a keep-alive run (one, as a probe, otherwise) before the clock starts;
   * only the first `count` of them when given (the others are dialled when first sent on).
   * Returns the error of the last failure when no connection could be opened, else null.
   */
  async open(count?: number): Promise<string | null> {
    let addresses: unknown[];
    try {
      addresses = await this.options.transport.resolve();
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
    // As wrk does: the run uses the first of the target's addresses that takes a connection.
    let error: string | null = null;
    for (const address of addresses) {
      this.address = address;
      error = await this.openConnections(count);
      if (error === null) break;
    }
    return error;
  }

  private async openConnections(most = this.connections.length): Promise<string | null> {
    const count = this.options.keepAlive ? Math.min(most, this.connections.length) : 1;
    let opened = 0;
    let settled = 0;
    let lastError: string | null = null;
    await new Promise<void>((resolve) => {
      this.onSettled = (error) => {
        if (error === null) opened++;
        else lastError = error;
        if (++settled === count) resolve();
      };
      // From the end: the free list is a stack, so these are the ones the first sends take.
      for (const connection of this.connections.slice(this.connections.length - count)) {
        connection.state = CONNECTING;
        this.connect(connection);
      }
    });
    this.onSettled = null;
    return opened > 0 ? null : lastError;
  }

  /** Sends one request meant to go at `intendedUs` (now, if omitted). Returns false when no slot is free. */
  send(intendedUs?: number): boolean {
    if (this.free.length === 0) return false;
    let target = -1;
    if (this.source !== null) {
      target = this.source.picker.next();
      if (target < 0) {
        this.exhausted = true;
        return false;
      }
    }
    const connection = this.free.pop()!;
    const sentUs = nowUs();
    intendedUs ??= sentUs;
    const slot = (connection.head + connection.inFlight) % connection.intendedUs.length;
    connection.intendedUs[slot] = intendedUs;
    connection.sentUs[slot] = sentUs;
    connection.targetOf[slot] = target;
    if (target >= 0 && connection.inFlight === 0) connection.parser.headRequests = this.source!.pool.head[target] === 1;
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
    const group = this.source === null ? -1 : this.source.pool.groupOf[connection.targetOf[connection.head]!]!;
    const i = connection.shift();
    connection.openedForRequests = false;
    if (this.checks === null && this.scriptCheck === null) {
      this.tally.onResponse(status, connection.intendedUs[i]!, connection.sentUs[i]!, now, BY_STATUS, group);
    } else {
      const verdict = this.checked(connection, status, connection.intendedUs[i]!);
      this.tally.onResponse(status, connection.intendedUs[i]!, connection.sentUs[i]!, now, verdict, group);
    }
    // Without keep-alive we asked for the close ourselves, whether or not the server says it will.
    if (!keepAlive || !this.options.keepAlive) {
      // Requests pipelined behind a response that closes the connection will never be answered.
      this.detach(connection, false);
      this.failInFlight(connection, "closed", now);
    }
    this.free.push(connection);
    this.freed++;
  }

  /** The response's checks counted; returns how the response counts. */
  private checked(connection: Connection, status: number, intendedUs: number): number {
    let failed = false;
    if (this.checks !== null) {
      const failures = this.checks.failures(status, connection.bodyState, connection.headerMask);
      this.tally.onChecks(failures, intendedUs);
      failed = failures !== 0;
    }
    const script = this.scriptCheck;
    if (script !== null) {
      const failure = script.run(status, connection.collected!);
      this.tally.onScriptCheck(failure, intendedUs);
      failed ||= failure !== null;
      // A check() that threw: nothing more is sent, the run ends once what is in flight is answered.
      if (script.failure !== null) this.exhausted = true;
    }
    // Without --expect-status a 4xx or 5xx stays a status error, whatever the other checks say.
    return !failed ? this.passedVerdict : this.passedVerdict === PASSED || status < 400 ? FAILED_CHECK : BY_STATUS;
  }

  private connect(connection: Connection): void {
    if (this.connecting >= MAX_CONNECTING) {
      this.waitingToConnect.push(connection);
      return;
    }
    this.connecting++;
    connection.parser.reset();
    connection.detached = false;
    this.dialer.connect(this.address, connection);
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
    connection.openedForRequests = connection.unsent > 0;
    // No setNoDelay(true): the transports set TCP_NODELAY themselves (Bun.connect on every socket),
    // and one more setsockopt per connection is a measurable cost when each request opens one.
    this.onSettled?.(null);
    if (connection.unsent > 0) this.writeUnsent(connection);
  }

  private dialFailed(connection: Connection, failure: DialFailure, reason: string): void {
    this.connectDone();
    connection.state = DISCONNECTED;
    if (!this.tally.outOfFileDescriptors && (reason === "EMFILE" || reason === "ENFILE" || outOfFiles())) {
      this.tally.outOfFileDescriptors = true;
    }
    this.onSettled?.(reason);
    this.failInFlight(connection, failure, nowUs());
  }

  /** One handler for the connections of any transport. */
  private transportHandler(): TransportHandler<Connection> {
    const engine = this;
    return {
      open(socket: ClientSocket) {
        engine.opened(socket.data, socket);
      },
      dialFailed(connection: Connection, failure: DialFailure, reason: string) {
        engine.dialFailed(connection, failure, reason);
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
          engine.broken(connection, connection.parser.errorReason);
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
        engine.write(connection, pending, 0, pending.length);
      },
      close(socket: ClientSocket, error?: Error) {
        const connection = socket.data;
        if (connection.socket !== socket) return;
        // Asked before the parser forgets: had any byte of an answer to what is in flight arrived?
        const unanswered = connection.parser.idle;
        // A body delimited by the connection's end completes now.
        connection.parser.connectionClosed();
        if (connection.socket === socket) {
          engine.detach(connection, false);
          const code = (error as { code?: string } | undefined)?.code;
          engine.lost(connection, code === "ECONNRESET" ? "reset" : "closed", unanswered);
        }
        engine.announce();
      },
    };
  }

  /** A response that is not HTTP: the oldest request failed as `parse` (for `reason`), the rest as closed. */
  private broken(connection: Connection, reason: string): void {
    const now = nowUs();
    this.detach(connection, true);
    if (connection.inFlight > 0) {
      const i = connection.head;
      this.tally.onParseError(reason, connection.intendedUs[i]!);
      this.failOldest(connection, "parse", now);
    }
    this.failInFlight(connection, "closed", now);
  }

  /**
   * The server closed the connection (or reset it) with requests in flight. When none of their
   * answers had begun, the connection was already open when they were written, none was sent twice
   * yet and they may be repeated, the close crossed them on the wire: they go again on a new
   * connection. Otherwise they fail as `kind`.
   */
  private lost(connection: Connection, kind: ErrorKind, unanswered: boolean): void {
    if (connection.inFlight === 0) return;
    if (!unanswered || connection.openedForRequests || !this.retryable(connection) || this.closed || this.anyRetried(connection)) {
      this.failInFlight(connection, kind, nowUs());
      return;
    }
    const { retried, intendedUs } = connection;
    for (let k = 0; k < connection.inFlight; k++) {
      const i = (connection.head + k) % retried.length;
      retried[i] = 1;
      this.tally.onRetry(intendedUs[i]!);
    }
    connection.unsent = connection.inFlight;
    connection.state = CONNECTING;
    this.connect(connection);
  }

  /** Whether every request in flight on the connection may be sent again. */
  private retryable(connection: Connection): boolean {
    if (this.source === null) return this.fixedRetryable;
    const idempotent = this.source.pool.idempotent;
    for (let k = 0; k < connection.inFlight; k++) {
      if (idempotent[connection.targetOf[(connection.head + k) % connection.targetOf.length]!] !== 1) return false;
    }
    return true;
  }

  private anyRetried(connection: Connection): boolean {
    for (let k = 0; k < connection.inFlight; k++) {
      if (connection.retried[(connection.head + k) % connection.retried.length] === 1) return true;
    }
    return false;
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
    const group = this.source === null ? -1 : this.source.pool.groupOf[connection.targetOf[connection.head]!]!;
    const i = connection.shift();
    connection.unsent = Math.min(connection.unsent, connection.inFlight);
    this.tally.onError(kind, connection.intendedUs[i]!, now, group);
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
    if (this.source === null) {
      const batch = this.batches[n]!;
      this.write(connection, batch, 0, batch.length);
    } else {
      this.writePooled(connection, n);
    }
  }

  /**
   * The last `n` requests in flight on the connection, from the pool: each filled just before it
   * is written. One goes straight from the pool's buffer; several are gathered into one write.
   */
  private writePooled(connection: Connection, n: number): void {
    const { pool, patcher } = this.source!;
    const { offsets } = pool;
    const { targetOf, head, inFlight } = connection;
    const first = head + inFlight - n;
    if (n === 1) {
      const target = targetOf[first % targetOf.length]!;
      patcher.patch(target);
      this.write(connection, pool.bytes, offsets[target]!, offsets[target + 1]! - offsets[target]!);
      return;
    }
    let length = 0;
    for (let k = 0; k < n; k++) {
      const target = targetOf[(first + k) % targetOf.length]!;
      length += offsets[target + 1]! - offsets[target]!;
    }
    if (this.gathered.length < length) this.gathered = new Uint8Array(Math.max(length, 2 * this.gathered.length));
    let at = 0;
    for (let k = 0; k < n; k++) {
      const target = targetOf[(first + k) % targetOf.length]!;
      patcher.patch(target);
      at += this.poolBytes!.copy(this.gathered, at, offsets[target]!, offsets[target + 1]!);
    }
    this.write(connection, this.gathered, 0, length);
  }

  /** Writes bytes[offset, offset + length); what the kernel does not take now is copied, to go on `drain`. */
  private write(connection: Connection, bytes: Uint8Array, offset: number, length: number): void {
    const socket = connection.socket;
    if (socket === null) return;
    if (connection.pending !== null) {
      connection.pending = Buffer.concat([connection.pending, bytes.subarray(offset, offset + length)]);
      return;
    }
    const written = socket.write(bytes, offset, length);
    // A copy: the bytes may be a pool's, filled again for the next send of the same target.
    if (written >= 0 && written < length) connection.pending = bytes.slice(offset + written, offset + length);
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
