import { UsageError } from "../errors.ts";
import type { ServerOptions } from "../server/server.ts";
import { parseCount, parseMs, parsePort, parseSize } from "../units.ts";

/** The flags of `minibench serve`, as citty hands them over. */
type ServeFlag = "host" | "port" | "workers" | "close" | "body-size" | "delay-ms" | "header-timeout-ms" | "idle-timeout-ms" | "max-connections" | "quiet";

export interface ServePlan {
  server: ServerOptions;
  workers: number;
  quiet: boolean;
}

export function servePlan(flags: Record<ServeFlag, string | boolean>): ServePlan {
  const text = (name: ServeFlag) => String(flags[name]);
  if (text("host").trim() === "") throw new UsageError("--host: expected an address, got an empty string");
  return {
    server: {
      hostname: text("host"),
      port: parsePort("--port", text("port")),
      closeEach: flags.close === true,
      bodySize: parseSize("--body-size", text("body-size"), { min: 0, max: 64 << 20 }),
      delayMs: parseMs("--delay-ms", text("delay-ms")),
      headerTimeoutMs: parseMs("--header-timeout-ms", text("header-timeout-ms"), { min: 1 }),
      idleTimeoutMs: parseMs("--idle-timeout-ms", text("idle-timeout-ms"), { min: 1 }),
      maxConnections: parseCount("--max-connections", text("max-connections")),
      reusePort: false,
    },
    workers: parseCount("--workers", text("workers"), { min: 1, max: 256 }),
    quiet: flags.quiet === true,
  };
}
