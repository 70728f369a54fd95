import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/server.ts";

export const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
export const OK_HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\n";
export const OK_CLOSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok";
export const OK_KEEP_ALIVE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\nok";
export const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/** `minibench serve`'s defaults, on a free loopback port. */
export const SERVER_DEFAULTS: ServerOptions = {
  hostname: "127.0.0.1",
  port: 0,
  closeEach: false,
  bodySize: 2,
  delayMs: 0,
  headerTimeoutMs: 5000,
  idleTimeoutMs: 30000,
  maxConnections: 10000,
  reusePort: false,
};

export function testServer(options: Partial<ServerOptions> = {}): RunningServer {
  return startServer({ ...SERVER_DEFAULTS, ...options });
}

/**
 * A raw TCP client that sends exact bytes and records what comes back: the text received (latin1),
 * how many reads it took, and when the server closed the connection.
 */
export class RawClient {
  text = "";
  reads = 0;
  closed = false;
  closedAtMs = 0;
  private socket!: Socket<RawClient>;
  private waiters: (() => void)[] = [];
  private unsent: Uint8Array | null = null;

  static async connect(port: number, options: { paused?: boolean } = {}): Promise<RawClient> {
    const client = new RawClient();
    client.socket = await Bun.connect<RawClient>({
      hostname: "127.0.0.1",
      port,
      data: client,
      socket: {
        open(socket) {
          if (options.paused) socket.pause();
        },
        data(socket, chunk) {
          socket.data.text += chunk.toString("latin1");
          socket.data.reads++;
          socket.data.wake();
        },
        drain(socket) {
          socket.data.writeUnsent();
        },
        close(socket) {
          socket.data.markClosed();
        },
        end(socket) {
          socket.data.markClosed();
        },
        error(socket) {
          socket.data.markClosed();
        },
      },
    });
    return client;
  }

  /** Writes everything, resuming in `drain` when the kernel takes only part. */
  send(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    if (this.unsent) {
      this.unsent = Buffer.concat([this.unsent, bytes]);
      return;
    }
    const written = this.socket.write(bytes);
    if (written >= 0 && written < bytes.length) this.unsent = bytes.subarray(written);
  }

  /**
   * Sends `text` in pieces of `size` bytes, `gapMs` apart, so the server reads them separately (as
   * a slow or unlucky client's bytes arrive); stops early once the server closed.
   */
  async sendInPieces(text: string, size: number, gapMs: number): Promise<void> {
    for (let at = 0; at < text.length && !this.closed; at += size) {
      if (at > 0) await Bun.sleep(gapMs);
      this.send(text.slice(at, at + size));
    }
  }

  /** One write without queueing: returns how many bytes the kernel took. */
  tryWrite(data: Uint8Array): number {
    return this.socket.write(data);
  }

  private writeUnsent(): void {
    const unsent = this.unsent;
    this.unsent = null;
    if (unsent) this.send(unsent);
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes with a RST, as a client that crashes or gives up would. */
  reset(): void {
    this.socket.terminate();
  }

  /** Sends FIN and keeps reading (a half-close). */
  shutdown(): void {
    this.socket.shutdown();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedAtMs = performance.now();
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when `condition` holds, checked on every event; rejects after `timeoutMs`. */
  until(condition: (client: RawClient) => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.text.slice(0, 300))}, closed=${this.closed}`)), timeoutMs);
      const check = () => {
        if (condition(this)) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  untilText(length: number, timeoutMs?: number): Promise<void> {
    return this.until((c) => c.text.length >= length || c.closed, timeoutMs, `${length} bytes`);
  }

  untilClosed(timeoutMs?: number): Promise<void> {
    return this.until((c) => c.closed, timeoutMs, "close");
  }
}

export const sleep = (ms: number) => Bun.sleep(ms);

const ROOT = new URL("../../", import.meta.url).pathname;

export interface ServeProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  /** What the process wrote to stderr, once it exited. */
  stderr(): Promise<string>;
  /** What the process wrote to stdout after the listening line, once it exited. */
  restOfStdout(): Promise<string>;
}

/** Spawns `bun src/cli.ts serve …` and waits for its `listening on` line. */
export async function spawnServe(args: string[], timeoutMs = 5000): Promise<ServeProcess> {
  const proc = Bun.spawn([process.execPath, "src/cli.ts", "serve", "--port", "0", ...args], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderrText = new Response(proc.stderr).text();
  const reader = proc.stdout.getReader();
  let line = "";
  const deadline = setTimeout(() => proc.kill(), timeoutMs);
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += new TextDecoder().decode(value);
  }
  clearTimeout(deadline);
  const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(line);
  if (!match) throw new Error(`no listening line: ${JSON.stringify(line)}; stderr: ${await stderrText}`);
  const restOfStdout = async () => {
    let rest = line.slice(match[0].length);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return rest;
      rest += new TextDecoder().decode(value);
    }
  };
  return { proc, port: Number(match[1]), stderr: () => stderrText, restOfStdout };
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
