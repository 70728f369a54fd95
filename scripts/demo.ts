/**
 * The quick-start job: starts `minibench serve` as its own process on a free port, runs a short
 * closed-loop and open-loop benchmark against it, and stops it. The server never shares the load
 * generator's event loop, which would make the benchmark measure itself.
 */
import { join } from "node:path";

const cli = join(import.meta.dir, "../src/cli.ts");
const server = Bun.spawn([process.execPath, cli, "serve", "--port", "0", "--quiet"], { stdout: "pipe", stderr: "inherit" });
const reader = server.stdout.getReader();
let line = "";
while (!line.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("minibench serve exited before listening");
  line += new TextDecoder().decode(value);
}
const url = line.trim().replace("listening on ", "");
console.error(`minibench serve ${url}`);

const bench = (args: string[]) => Bun.spawn([process.execPath, cli, "bench", ...args, url], { stdio: ["inherit", "inherit", "inherit"] }).exited;
let status = await bench(["closed", "-n", "20000", "-c", "50", "--warmup", "2000", "--repeat", "3"]);
if (status === 0) status = await bench(["open", "--rps", "5000", "-d", "5", "--warmup-sec", "1", "--repeat", "1"]);
server.kill("SIGTERM");
await server.exited;
process.exit(status);
