import { join } from "node:path";

const CLI = join(import.meta.dir, "../../src/cli.ts");

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `bun src/cli.ts …` as a real subprocess; `signalAfterMs` sends SIGINT (Ctrl-C) after a while. */
export async function runCli(args: string[], options: { signalAfterMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const child = Bun.spawn([process.execPath, CLI, ...args], {
    cwd: options.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (options.signalAfterMs !== undefined) setTimeout(() => child.kill("SIGINT"), options.signalAfterMs);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}
