import type { Socket, SocketHandler, TCPSocketListener } from "bun";
import { DEFAULT_LIMITS, REQUEST_CLOSE, REQUEST_HEAD, RequestParser, type RequestLimits, type RequestSink } from "./request-parser.ts";
import { deferAccept } from "./defer-accept.ts";
import { buildResponses, type Responses } from "./responses.ts";

export interface ServerOptions {
  hostname: string;
  port: number;
  /** Answer every request with `Connection: close` and close. */
  closeEach: boolean;
  bodySize: number;
  delayMs: number;
  headerTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Share the port with other listeners (`SO_REUSEPORT`): how `--workers` spreads over cores. */
  reusePort: boolean;
  limits?: RequestLimits;
}

export interface RunningServer {
  hostname: string;
  port: number;
  /** Open connections right now. */
  connectionCount(): number;
  /** Stops accepting, lets in-flight responses finish, closes the rest; resolves when all is closed. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Past this many response bytes not yet taken by the kernel (queued or waiting for `--delay-ms`) a
 * connection stops reading: a client that pipelines without reading cannot grow our memory.
 */
const HIGH_WATER_BYTES = 256 * 1024;
/**
 * Small queued responses are copied into one buffer of up to this size per write, so a pipelined
 * burst costs one syscall; larger responses are written from their shared buffer, never copied.
 */
const COALESCE_BYTES = 64 * 1024;

const WAIT_HEAD = 0;
const WAIT_BODY = 1;
const WAIT_IDLE = 2;

/** State shared by every connection of one listener. */
interface Shared {
  options: ServerOptions;
  limits: RequestLimits;
  responses: Responses;
  connections: Set<Connection>;
  /** A coarse clock, advanced by the timeout sweep: reading it on the hot path costs nothing. */
  nowMs: number;
  draining: boolean;
}

/**
 * One client connection: parses what arrives, answers the requests of a read in one write, keeps
 * what the kernel did not take for `drain`, and knows which deadline it is waiting under.
 *
 * Answers are queued as references to the pre-encoded responses, not copies: what a connection
 * holds is bounded by the requests of one read, whatever `--body-size` is.
 */
class Connection implements RequestSink {
  readonly parser: RequestParser;
  /** The responses produced by the read being handled. */
  private batch: Uint8Array[] = [];
  /** Responses (or the unwritten tail of one write) waiting for the kernel, in order. */
  private out: Uint8Array[] = [];
  /** Response bytes produced and not yet taken by the kernel, including delayed ones. */
  private queuedBytes = 0;
  /** Batches waiting for `--delay-ms`. */
  private delayed = 0;
  /** Whether the kernel took any bytes since the deadline was last armed: a client that reads is not idle. */
  private wrote = false;
  private closeAfterWrite = false;
  private closed = false;
  /** Reading stopped because too many response bytes wait (Bun's TCP sockets do not expose it). */
  private paused = false;
  deadlineMs: number;
  /**
   * A new connection waits for its first request as a kept-alive one waits for its next: under the
   * idle timeout. Clients open connections ahead of their requests (a load generator's pool, a
   * browser's preconnect); closing those after the header timeout would only race with their first
   * request. The header timeout starts with the first byte of each request.
   */
  private waitingFor = WAIT_IDLE;

  constructor(
    private readonly socket: Socket<Connection>,
    private readonly shared: Shared,
  ) {
    this.parser = new RequestParser(this, shared.limits);
    // From the real time, not the sweep's coarse clock, which can lag by a whole tick on a busy
    // server: a short idle timeout would otherwise expire before the first request is read.
    this.deadlineMs = performance.now() + shared.options.idleTimeoutMs;
  }

  onRequest(flags: number): void {
    const { options, responses, draining } = this.shared;
    if (options.closeEach || draining) flags = (flags & REQUEST_HEAD) | REQUEST_CLOSE;
    this.answer(responses.ok[flags]!);
    if (flags & REQUEST_CLOSE) this.finish();
  }

  onContinue(): void {
    this.answer(this.shared.responses.continue);
  }

  receive(chunk: Uint8Array): void {
    const status = this.parser.execute(chunk);
    if (status !== 0) {
      this.answer(this.shared.responses.error(status));
      this.finish();
    }
    this.flush();
    if (this.queuedBytes > HIGH_WATER_BYTES && !this.closed && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.rearm();
    this.closeIfDone();
  }

  /** The client finished sending (FIN): answer what it asked, then close. */
  endOfInput(): void {
    this.finish();
    this.flush();
    this.closeIfDone();
  }

  /** Called by the sweep when `deadlineMs` has passed. */
  expire(): void {
    if (this.delayed > 0 || (this.out.length > 0 && this.wrote)) {
      // Still answering, and the client is reading: give it another timeout.
      this.wrote = false;
      this.deadlineMs = this.shared.nowMs + this.shared.options.idleTimeoutMs;
      return;
    }
    if (this.out.length > 0) {
      // The client stopped reading for a whole timeout: what it has not read, it will not read.
      this.closed = true;
      this.socket.terminate();
      return;
    }
    // A partly received head is a slowloris (408); an idle or silent connection is just closed.
    if (this.waitingFor === WAIT_HEAD && !this.parser.idle) this.answer(this.shared.responses.error(408));
    this.finish();
    this.flush();
    this.closeIfDone();
  }

  /** Graceful shutdown: close now if nothing is in flight, else after the last response. */
  drainAndClose(): void {
    if (this.parser.idle) this.finish();
    else this.closeAfterWrite = true;
    this.closeIfDone();
  }

  writable(): void {
    this.pump();
    this.closeIfDone();
  }

  closedByPeer(): void {
    this.closed = true;
    this.out.length = 0;
    this.shared.connections.delete(this);
  }

  private answer(response: Uint8Array): void {
    this.batch.push(response);
    this.queuedBytes += response.length;
  }

  private finish(): void {
    this.closeAfterWrite = true;
    this.parser.stop();
  }

  private flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    if (this.shared.options.delayMs > 0) {
      this.batch = [];
      this.delayed++;
      setTimeout(() => {
        this.delayed--;
        this.send(batch);
        this.closeIfDone();
      }, this.shared.options.delayMs);
    } else {
      this.send(batch);
      batch.length = 0;
    }
  }

  private send(responses: Uint8Array[]): void {
    for (const response of responses) this.out.push(response);
    this.pump();
  }

  /** Writes queued responses until the kernel stops taking them; resumes reading once the queue is short. */
  private pump(): void {
    const out = this.out;
    while (out.length > 0 && !this.closed) {
      let count = 1;
      let size = out[0]!.length;
      while (count < out.length && size + out[count]!.length <= COALESCE_BYTES) size += out[count++]!.length;
      const data = count === 1 ? out[0]! : Buffer.concat(out.slice(0, count), size);
      const written = this.socket.write(data);
      if (written < 0) return;
      if (written > 0) this.wrote = true;
      this.queuedBytes -= written;
      if (written < size) {
        out.splice(0, count, data.subarray(written));
        break;
      }
      if (count === out.length) out.length = 0;
      else out.splice(0, count);
    }
    if (this.queuedBytes <= HIGH_WATER_BYTES / 2 && this.paused && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private closeIfDone(): void {
    // end() would drop bytes the kernel has not taken yet: only once everything was written.
    if (this.closeAfterWrite && !this.closed && this.out.length === 0 && this.delayed === 0 && this.batch.length === 0) {
      this.closed = true;
      this.socket.end();
    }
  }

  /** Picks the deadline for what the connection now waits for. */
  private rearm(): void {
    const { nowMs, options } = this.shared;
    this.wrote = false;
    if (this.parser.idle) {
      this.waitingFor = WAIT_IDLE;
      this.deadlineMs = nowMs + options.idleTimeoutMs;
    } else if (this.parser.readingHead) {
      // The head timeout runs from the first byte of the request, whatever trickles in after it.
      if (this.waitingFor !== WAIT_HEAD) this.deadlineMs = nowMs + options.headerTimeoutMs;
      this.waitingFor = WAIT_HEAD;
    } else {
      this.waitingFor = WAIT_BODY;
      this.deadlineMs = nowMs + options.idleTimeoutMs;
    }
  }
}

const handler: SocketHandler<Connection> = {
  data(socket, chunk) {
    socket.data.receive(chunk);
  },
  drain(socket) {
    socket.data.writable();
  },
  end(socket) {
    socket.data?.endOfInput();
  },
  close(socket) {
    socket.data?.closedByPeer();
  },
  error(socket) {
    // A reset or a failed write: the connection is gone, and it is only this client's problem.
    socket.data?.closedByPeer();
  },
};

export function startServer(options: ServerOptions): RunningServer {
  const shared: Shared = {
    options,
    limits: options.limits ?? DEFAULT_LIMITS,
    responses: buildResponses(options.bodySize),
    connections: new Set(),
    nowMs: performance.now(),
    draining: false,
  };

  const listener: TCPSocketListener<Connection> = Bun.listen<Connection>({
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true,
    // reusePort is supported on Linux but missing from Bun's types.
    ...({ reusePort: options.reusePort } as object),
    socket: {
      ...handler,
      open(socket) {
        if (shared.draining || shared.connections.size >= options.maxConnections) {
          socket.terminate();
          return;
        }
        const connection = new Connection(socket, shared);
        socket.data = connection;
        shared.connections.add(connection);
      },
    },
  });

  deferAccept(listener.port);

  // One sweep for every deadline of every connection, instead of a timer per connection: a tick of
  // a tenth of the shortest timeout keeps each timeout within ~10% of its setting.
  const tickMs = Math.min(1000, Math.max(10, Math.min(options.headerTimeoutMs, options.idleTimeoutMs) / 10));
  const sweep = setInterval(() => {
    shared.nowMs = performance.now();
    for (const connection of shared.connections) {
      if (connection.deadlineMs <= shared.nowMs) connection.expire();
    }
  }, tickMs);

  return {
    hostname: listener.hostname,
    port: listener.port,
    connectionCount: () => shared.connections.size,
    async stop(graceMs = 1500) {
      shared.draining = true;
      listener.stop(false);
      for (const connection of shared.connections) connection.drainAndClose();
      const giveUpAt = performance.now() + graceMs;
      while (shared.connections.size > 0 && performance.now() < giveUpAt) await Bun.sleep(10);
      clearInterval(sweep);
      listener.stop(true);
    },
  };
}
