import { defineCommand } from "citty";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { reusePortSupported, startCluster } from "../server/cluster.ts";
import { servePlan } from "../config/serve-plan.ts";

const args = {
  host: { type: "string", default: "127.0.0.1", description: "Address to listen on" },
  port: { type: "string", default: "8000", description: "Port to listen on (0: any free port, printed)" },
  workers: { type: "string", default: "1", description: "Listeners sharing the port, one thread each (Linux)" },
  close: { type: "boolean", default: false, description: "Answer every request with Connection: close and close" },
  "body-size": { type: "string", default: "2", description: "Response body size in bytes (e.g. 2, 1k)" },
  "delay-ms": { type: "string", default: "0", description: "Wait this long before each response" },
  "header-timeout-ms": { type: "string", default: "5000", description: "408 and close when a request head takes longer" },
  "idle-timeout-ms": { type: "string", default: "30000", description: "Close keep-alive connections idle this long" },
  "max-connections": { type: "string", default: "10000", description: "Close new connections at once past this many" },
  quiet: { type: "boolean", default: false, description: "Print only the listening line" },
} as const;

/** Bun's listen errors say only "Failed to listen at HOST"; the code says why. */
const LISTEN_ADVICE: Record<string, string> = {
  EADDRINUSE: "the port is already in use (choose another --port, or --port 0 for any free port)",
  EADDRNOTAVAIL: "no such address on this machine (check --host)",
  EACCES: "permission denied (ports below 1024 need privileges)",
};

export default defineCommand({
  meta: { name: "minibench serve", description: "Run the reference HTTP/1.1 server: 200 OK to every request" },
  args,
  async run({ args: flags }) {
    const plan = servePlan(flags);
    let workers = plan.workers;
    if (workers > 1 && !reusePortSupported()) {
      log.warn(`--workers ${workers}: sharing a port needs SO_REUSEPORT (Linux); running 1 listener`);
      workers = 1;
    }
    // Listen for the signals before announcing the port: whoever reads the line may signal at once.
    const signalled = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    const server = await startCluster(plan.server, workers).catch((error: Error & { code?: string }) => {
      throw new RunError(`cannot listen on ${plan.server.hostname}:${plan.server.port}: ${LISTEN_ADVICE[error.code ?? ""] ?? error.message}`);
    });
    const shownHost = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
    process.stdout.write(`listening on http://${shownHost}:${server.port}\n`);
    if (!plan.quiet) {
      const mode = plan.server.closeEach ? "close after each response" : "keep-alive";
      log.info(`${workers} listener${workers > 1 ? "s" : ""}, ${mode}, body ${plan.server.bodySize} B, delay ${plan.server.delayMs} ms`);
    }
    await signalled;
    if (!plan.quiet) log.info("stopping: finishing in-flight responses");
    await server.stop();
    process.exit(0);
  },
});
