import { defineCommand } from "citty";
import { RunError } from "../errors.ts";
import { log } from "../log.ts";
import { reusePortSupported, startCluster } from "../server/cluster.ts";
import { SERVE_OPTIONS, servePlan } from "../config/serve-plan.ts";
import { argsOf, type Command } from "./args.ts";

/** Bun's listen errors say only "Failed to listen at HOST"; the code says why. */
const LISTEN_ADVICE: Record<string, string> = {
  EADDRINUSE: "the port is already in use (choose another --port, or --port 0 for any free port)",
  EADDRNOTAVAIL: "no such address on this machine (check --host)",
  EACCES: "permission denied (ports below 1024 need privileges)",
};

const serve = defineCommand({
  meta: { name: "minibench serve", description: "Run the reference HTTP/1.1 server: 200 OK to every request" },
  args: argsOf(SERVE_OPTIONS, "serve"),
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

export default {
  ...serve,
  examples: ["minibench serve --port 8080", "minibench serve --port 0 --workers 2 --body-size 1k --quiet"],
} satisfies Command;
