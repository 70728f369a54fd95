import type { Socket, TCPSocketListener } from "bun";
import { seededRandom } from "./random.ts";

/**
 * A TCP proxy on loopback that injects network faults between a client and a server, so that the
 * load generator can be tested against what real networks do: latency, slow links, data arriving
 * in odd pieces, stalls, resets, half-closes and connections dropped in the middle of a response.
 *
 * Each direction of each proxied connection is a queue of pieces, each with the time it may be
 * forwarded; faults only change how chunks are cut into pieces and when those are released.
 * Byte positions (`afterBytes`) count the bytes of one direction of one connection.
 */

export interface DirectionFaults {
  /** Every chunk is held this long before it is forwarded (one-way latency). */
  delayMs?: number;
  /** Forwarded at this rate at most. */
  bytesPerS?: number;
  /** Each chunk is cut at random points drawn from this seed, the pieces forwarded ~1 ms apart. */
  splitSeed?: number;
  /** Once `afterBytes` bytes went through, nothing more is forwarded for `ms`. */
  stall?: { afterBytes: number; ms: number };
  /** After `afterBytes` bytes, these bytes are slipped into the stream (garbage a server never sent). */
  inject?: { afterBytes: number; bytes: Uint8Array };
  /** After `afterBytes` bytes, the connection ends as `how` says. */
  cut?: { afterBytes: number; how: Cut };
}

/**
 * - `reset`: both sockets are closed with a RST.
 * - `half-close`: the receiver of this direction gets a FIN; the other direction keeps flowing.
 * - `drop`: both sockets are closed with a FIN (the server went away mid-response).
 */
export type Cut = "reset" | "half-close" | "drop";

export interface Faults {
  /** Client to server. */
  up?: DirectionFaults;
  /** Server to client. */
  down?: DirectionFaults;
}

export interface FaultProxyOptions {
  /** The server's port on 127.0.0.1. */
  upstreamPort: number;
  /** The faults of every connection, or of the n-th connection accepted (0-based). */
  faults: Faults | ((connection: number) => Faults);
}

export interface FaultProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  stop(): void;
}

const SPLIT_GAP_MS = 1;

interface Piece {
  bytes: Uint8Array;
  releaseAtMs: number;
  /** Done once the piece was written. */
  after: Cut | "end" | null;
}

/** One direction of one connection: what arrives from one socket, on its way to the other. */
class Pipe {
  receiver: Socket<Link> | null = null;
  private readonly queue: Piece[] = [];
  private bytesSeen = 0;
  private lastReleaseMs = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unwritten: Uint8Array | null = null;
  private readonly random: (() => number) | null;
  done = false;

  constructor(
    private readonly faults: DirectionFaults,
    private readonly onCut: (how: Cut, pipe: Pipe) => void,
  ) {
    this.random = faults.splitSeed === undefined ? null : seededRandom(faults.splitSeed);
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    const arrivedMs = performance.now();
    for (const bytes of this.cutPoints(chunk)) {
      const start = this.bytesSeen;
      this.bytesSeen += bytes.length;
      // Pieces leave in order, so a piece is never released before the one ahead of it.
      let releaseAtMs = Math.max(arrivedMs + (this.faults.delayMs ?? 0), this.lastReleaseMs + (this.random ? SPLIT_GAP_MS : 0));
      const { stall, inject, cut } = this.faults;
      if (stall && start === stall.afterBytes) releaseAtMs += stall.ms;
      if (this.faults.bytesPerS) releaseAtMs += (bytes.length * 1000) / this.faults.bytesPerS;
      this.lastReleaseMs = releaseAtMs;
      if (inject && start === inject.afterBytes) this.queue.push({ bytes: inject.bytes, releaseAtMs, after: null });
      const after = cut && this.bytesSeen === cut.afterBytes ? cut.how : null;
      this.queue.push({ bytes, releaseAtMs, after });
      if (after !== null) {
        this.done = true;
        break;
      }
    }
    this.pump();
  }

  /** The sender closed: the receiver gets a FIN once everything before it was forwarded. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.push({ bytes: new Uint8Array(0), releaseAtMs: this.lastReleaseMs, after: "end" });
    this.pump();
  }

  /** The receiver is gone: nothing more is forwarded. */
  abandon(): void {
    this.done = true;
    this.queue.length = 0;
    this.unwritten = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Cuts a chunk where a fault starts (stall, cut) and, with splitSeed, at random points too. */
  private *cutPoints(chunk: Uint8Array): Generator<Uint8Array> {
    const positions = new Set<number>();
    const { stall, inject, cut } = this.faults;
    for (const at of [stall?.afterBytes, inject?.afterBytes, cut?.afterBytes]) {
      if (at !== undefined && at > this.bytesSeen && at < this.bytesSeen + chunk.length) positions.add(at - this.bytesSeen);
    }
    if (this.random) {
      const splits = Math.floor(this.random() * 4);
      for (let i = 0; i < splits && chunk.length > 1; i++) positions.add(1 + Math.floor(this.random() * (chunk.length - 1)));
    }
    let from = 0;
    for (const to of [...positions].sort((a, b) => a - b)) {
      yield chunk.subarray(from, to);
      from = to;
    }
    yield chunk.subarray(from);
  }

  /** Writes every piece that is due, in order; waits for drain or for the next release time. */
  pump = (): void => {
    this.timer = null;
    const receiver = this.receiver;
    if (receiver === null) return;
    if (this.unwritten !== null && !this.writeAll(receiver, this.unwritten)) return;
    while (this.queue.length > 0) {
      const piece = this.queue[0]!;
      const waitMs = piece.releaseAtMs - performance.now();
      if (waitMs > 0) {
        if (this.timer === null) this.timer = setTimeout(this.pump, waitMs);
        return;
      }
      this.queue.shift();
      if (!this.writeAll(receiver, piece.bytes)) {
        if (piece.after !== null) this.queue.unshift({ bytes: new Uint8Array(0), releaseAtMs: 0, after: piece.after });
        return;
      }
      if (piece.after === "end") receiver.end();
      else if (piece.after !== null) this.onCut(piece.after, this);
    }
  };

  /** True when the kernel took every byte; else the rest waits for drain. */
  private writeAll(receiver: Socket<Link>, bytes: Uint8Array): boolean {
    const written = bytes.length === 0 ? 0 : receiver.write(bytes);
    this.unwritten = written >= 0 && written < bytes.length ? bytes.subarray(written) : null;
    return this.unwritten === null;
  }
}

/** The two sockets of one proxied connection and the pipes between them. */
class Link {
  client: Socket<Link> | null = null;
  server: Socket<Link> | null = null;
  readonly up: Pipe;
  readonly down: Pipe;
  /** Client bytes that arrived before the server connection was open. */
  private early: Uint8Array[] = [];
  closed = false;

  constructor(faults: Faults) {
    const cut = (how: Cut, pipe: Pipe) => this.cut(how, pipe);
    this.up = new Pipe(faults.up ?? {}, cut);
    this.down = new Pipe(faults.down ?? {}, cut);
  }

  serverOpen(server: Socket<Link>): void {
    this.server = server;
    this.up.receiver = server;
    for (const chunk of this.early) this.up.push(chunk);
    this.early = [];
    this.up.pump();
  }

  fromClient(chunk: Uint8Array): void {
    if (this.server === null) this.early.push(chunk);
    else this.up.push(chunk);
  }

  private cut(how: Cut, pipe: Pipe): void {
    if (how === "half-close") {
      pipe.receiver?.shutdown();
      return;
    }
    this.closeBoth(how === "reset");
  }

  closeBoth(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.up.abandon();
    this.down.abandon();
    for (const socket of [this.client, this.server]) {
      if (reset) socket?.terminate();
      else socket?.end();
    }
  }

  /** One side closed: with a RST (error) the other side is reset too; else it gets a FIN after the data in flight. */
  sideClosed(socket: Socket<Link>, error: boolean): void {
    const fromClient = socket === this.client;
    const toOther = fromClient ? this.up : this.down;
    const toThis = fromClient ? this.down : this.up;
    toThis.abandon();
    if (error) this.closeBoth(true);
    else toOther.end();
  }
}

export function startFaultProxy(options: FaultProxyOptions): FaultProxy {
  let accepted = 0;
  const faultsOf = typeof options.faults === "function" ? options.faults : () => options.faults as Faults;
  const serverHandler = {
    open(socket: Socket<Link>) {
      socket.data.serverOpen(socket);
    },
    data(socket: Socket<Link>, chunk: Uint8Array) {
      socket.data.down.push(chunk);
    },
    drain(socket: Socket<Link>) {
      socket.data.up.pump();
    },
    end(socket: Socket<Link>) {
      socket.data.sideClosed(socket, false);
    },
    close(socket: Socket<Link>, error: Error | undefined) {
      socket.data.sideClosed(socket, error !== undefined);
    },
    connectError(socket: Socket<Link>) {
      socket.data.closeBoth(true);
    },
  };
  const listener: TCPSocketListener<Link> = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(client) {
        const link = new Link(faultsOf(accepted++));
        link.client = client;
        link.down.receiver = client;
        client.data = link;
        Bun.connect<Link>({ hostname: "127.0.0.1", port: options.upstreamPort, data: link, allowHalfOpen: true, socket: serverHandler }).catch(() => {});
      },
      data(client, chunk) {
        client.data.fromClient(chunk);
      },
      drain(client) {
        client.data.down.pump();
      },
      end(client) {
        client.data.sideClosed(client, false);
      },
      close(client, error) {
        client.data.sideClosed(client, error !== undefined);
      },
    },
  });
  return {
    port: listener.port,
    get connections() {
      return accepted;
    },
    stop: () => listener.stop(true),
  };
}
