import { afterEach, describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { GET, OK, RawClient, sleep, spawnServe, type ServeProcess } from "../server/helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function cli(...args: string[]) {
  const result = Bun.spawnSync([process.execPath, "src/cli.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", timeout: 4000 });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** A usage or run error is one line on stderr, starting with the program's name, and no stack trace. */
function expectOneLineError(stderr: string, ...mentions: string[]) {
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith("minibench: ")).toBe(true);
  expect(stderr).not.toMatch(/\n\s+at /);
  for (const mention of mentions) expect(stderr).toContain(mention);
}

let running: ServeProcess[] = [];
afterEach(() => {
  for (const { proc } of running) proc.kill("SIGKILL");
  running = [];
});

async function serve(...args: string[]): Promise<ServeProcess> {
  const server = await spawnServe(args);
  running.push(server);
  return server;
}

async function exitWithin(server: ServeProcess, ms: number): Promise<number | null> {
  return Promise.race([server.proc.exited, sleep(ms).then(() => null)]);
}

describe("serve as a process", () => {
  test("prints one listening line, answers, and exits 0 soon after SIGTERM", async () => {
    const server = await serve();
    const client = await RawClient.connect(server.port);
    client.send(GET);
    await client.untilText(OK.length);
    expect(client.text).toBe(OK);
    const signalledAt = performance.now();
    server.proc.kill("SIGTERM");
    expect(await exitWithin(server, 2000)).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(2000);
    await client.untilClosed(1000);
    // stdout carries the listening line and nothing else.
    expect(await server.restOfStdout()).toBe("");
  });

  test("SIGINT stops it too", async () => {
    const server = await serve("--quiet");
    server.proc.kill("SIGINT");
    expect(await exitWithin(server, 2000)).toBe(0);
    expect(await server.stderr()).toBe("");
  });

  test("SIGTERM during a delayed response still delivers it, then exits 0", async () => {
    const server = await serve("--delay-ms", "500", "--quiet");
    const client = await RawClient.connect(server.port);
    client.send(GET);
    await sleep(100);
    server.proc.kill("SIGTERM");
    await client.untilClosed(3000);
    expect(client.text).toBe(OK);
    expect(await exitWithin(server, 2000)).toBe(0);
  });

  test("after SIGTERM the port no longer accepts connections", async () => {
    const server = await serve("--quiet");
    server.proc.kill("SIGTERM");
    expect(await exitWithin(server, 2000)).toBe(0);
    await expect(RawClient.connect(server.port)).rejects.toThrow();
  });

  test("flags reach the server: --close, --body-size", async () => {
    const server = await serve("--close", "--body-size", "1k", "--quiet");
    const client = await RawClient.connect(server.port);
    client.send(GET);
    await client.untilClosed();
    expect(client.text).toBe(`HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${"ok".repeat(512)}`);
  });

  test("a port already in use: exit 1 and a clear message", async () => {
    const server = await serve("--quiet");
    const second = cli("serve", "--port", String(server.port));
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expectOneLineError(second.stderr, String(server.port), "already in use");
  });

  test("--workers 2 on a port already in use: exit 1, even against another --workers server", async () => {
    const server = await serve("--workers", "2", "--quiet");
    const second = cli("serve", "--port", String(server.port), "--workers", "2");
    expect(second.code).toBe(1);
    expectOneLineError(second.stderr, "already in use");
  });
});

describe("global behaviour", () => {
  test("--version prints the package version", () => {
    const { code, stdout, stderr } = cli("--version");
    expect(code).toBe(0);
    expect(stdout.trim()).toStartWith(pkg.version);
    expect(stderr).toBe("");
  });

  for (const args of [["--help"], ["serve", "--help"], ["bench", "--help"], ["bench", "open", "--help"], ["serve", "-h"]]) {
    test(`${args.join(" ")} prints usage and exits 0`, () => {
      const { code, stdout, stderr } = cli(...args);
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toContain("USAGE");
      expect(stdout).toContain(`minibench ${args.filter((a) => !a.startsWith("-")).join(" ")}`.trim());
    });
  }

  test("serve --help lists every flag of the contract", () => {
    const { stdout } = cli("serve", "--help");
    for (const flag of ["--host", "--port", "--workers", "--close", "--body-size", "--delay-ms", "--header-timeout-ms", "--idle-timeout-ms", "--max-connections", "--quiet"]) {
      expect(stdout).toContain(flag);
    }
  });

  test("an unknown flag: exit 2, one line naming it", () => {
    const { code, stdout, stderr } = cli("serve", "--prot", "8000");
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expectOneLineError(stderr, "--prot");
  });

  const badNumbers: [string[], string][] = [
    [["--port", "abc"], "--port"],
    [["--port", "70000"], "--port"],
    [["--workers", "0"], "--workers"],
    [["--workers", "1.5"], "--workers"],
    [["--body-size", "lots"], "--body-size"],
    [["--delay-ms", "-1"], "--delay-ms"],
    [["--header-timeout-ms", "0"], "--header-timeout-ms"],
    [["--max-connections", "0"], "--max-connections"],
    [["--port"], "--port"],
  ];
  for (const [args, flag] of badNumbers) {
    test(`serve ${args.join(" ")}: exit 2 naming ${flag}`, () => {
      const { code, stdout, stderr } = cli("serve", ...args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expectOneLineError(stderr, flag);
    });
  }
});
