import { RunError } from "../errors.ts";

/**
 * `minibench serve` as a child process, for `bench … --serve`: the embedded target runs in its own
 * process (and so on its own core), never in the load generator's event loop, which would make
 * the benchmark measure itself.
 */
export interface ServeChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** How to run this very program again: the compiled binary, or Bun with the entry script. */
export function selfCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(Bun.main);
  return compiled ? [process.execPath] : [process.execPath, Bun.main];
}

/**
 * Starts `minibench serve --port 0` with `args` and waits for its `listening on` line. `command`
 * runs minibench (scripts pass Bun and `src/cli.ts`, possibly behind `taskset`).
 */
export async function startServeChild(args: string[] = [], command: string[] = selfCommand()): Promise<ServeChild> {
  const child = Bun.spawn([...command, "serve", "--port", "0", "--quiet", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  const timeout = setTimeout(() => child.kill(), 10_000);
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  clearTimeout(timeout);
  reader.releaseLock();
  const match = /^listening on (http:\/\/\S+)\n/.exec(text);
  if (!match) {
    child.kill();
    throw new RunError("--serve: the embedded minibench serve did not start");
  }
  return {
    url: `${match[1]}/`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
