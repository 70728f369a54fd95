import type { ServerOptions } from "../server/server.ts";
import { bytes, count, flag, milliseconds, optionFor, resolveOptions, text } from "./options.ts";

/** The options of `minibench serve`, declared once: flags, validation and help come from here. */

const option = optionFor<"serve">();
const SERVE = ["serve"] as const;

export const SERVE_OPTIONS = {
  host: option(text("ADDRESS"), { modes: SERVE, default: "127.0.0.1", help: "Address to listen on" }),
  port: option(count({ min: 0, max: 65535 }, "PORT"), { modes: SERVE, default: 8000, help: "Port to listen on (0: any free port, printed)" }),
  workers: option(count({ min: 1, max: 256 }), { modes: SERVE, default: 1, help: "Listeners sharing the port, one thread each (Linux)" }),
  close: option(flag, { modes: SERVE, default: false, help: "Answer every request with Connection: close and close" }),
  bodySize: option(bytes({ min: 0, max: 64 << 20 }), { modes: SERVE, flag: "body-size", default: 2, help: "Response body size (e.g. 2, 1k)" }),
  delayMs: option(milliseconds(), { modes: SERVE, flag: "delay-ms", default: 0, help: "Wait this long before each response" }),
  headerTimeoutMs: option(milliseconds({ min: 1 }), { modes: SERVE, flag: "header-timeout-ms", default: 5000, help: "408 and close when a request head takes longer" }),
  idleTimeoutMs: option(milliseconds({ min: 1 }), { modes: SERVE, flag: "idle-timeout-ms", default: 30_000, help: "Close keep-alive connections idle this long" }),
  maxConnections: option(count(), { modes: SERVE, flag: "max-connections", default: 10_000, help: "Close new connections at once past this many" }),
  quiet: option(flag, { modes: SERVE, default: false, help: "Print only the listening line" }),
} as const;

export interface ServePlan {
  server: ServerOptions;
  workers: number;
  quiet: boolean;
}

/** The plan of `minibench serve` from the flags given, by flag name. */
export function servePlan(given: Readonly<Record<string, unknown>>): ServePlan {
  const values = resolveOptions(SERVE_OPTIONS, "serve", given);
  return {
    server: {
      hostname: values.host,
      port: values.port,
      closeEach: values.close,
      bodySize: values.bodySize,
      delayMs: values.delayMs,
      headerTimeoutMs: values.headerTimeoutMs,
      idleTimeoutMs: values.idleTimeoutMs,
      maxConnections: values.maxConnections,
      reusePort: false,
    },
    workers: values.workers,
    quiet: values.quiet,
  };
}
