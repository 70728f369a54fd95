#!/usr/bin/env bun
import { type ArgsDef, type CommandDef, renderUsage, runCommand } from "citty";
import { MinibenchError, UsageError } from "./errors.ts";
import { checkFlags, takesValue } from "./commands/flags.ts";
import { COMMIT, VERSION } from "./version.ts";

/**
 * The entry point. citty defines the commands and renders their help; this file walks the command
 * tree itself so that flags may stand before or after a subcommand (`bench --config x.json closed`),
 * unknown flags are refused, and every set-up error ends as one line on stderr with its exit code.
 */

type AnyCommand = CommandDef<ArgsDef>;

interface Resolved {
  command: AnyCommand;
  /** The arguments left once subcommand names are taken out, in their original order. */
  rest: string[];
}

async function resolve(root: AnyCommand, argv: string[]): Promise<Resolved> {
  let command = root;
  let rest = argv;
  for (;;) {
    const subCommands = (await command.subCommands) as Record<string, AnyCommand> | undefined;
    if (!subCommands) return { command, rest };
    const allArgs = await descendantArgs(command);
    let index = -1;
    for (let i = 0; i < rest.length; i++) {
      const token = rest[i]!;
      if (token === "--") break;
      if (token.startsWith("-")) {
        if (takesValue(allArgs, token)) i++;
        continue;
      }
      index = i;
      break;
    }
    if (index < 0) return { command, rest };
    const next = subCommands[rest[index]!];
    if (!next) throw new UsageError(`unknown command ${JSON.stringify(rest[index])} (see --help)`);
    command = next;
    rest = [...rest.slice(0, index), ...rest.slice(index + 1)];
  }
}

/** The union of the flags of a command and everything below it, to know which flags take a value. */
async function descendantArgs(command: AnyCommand): Promise<ArgsDef> {
  const own = ((await command.args) ?? {}) as ArgsDef;
  const subCommands = ((await command.subCommands) ?? {}) as Record<string, AnyCommand>;
  const below = await Promise.all(Object.values(subCommands).map(descendantArgs));
  return Object.assign({}, ...below, own);
}

const wantsColour = () => process.stdout.isTTY && !process.env.NO_COLOR;
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

async function printUsage(command: AnyCommand, stream: NodeJS.WriteStream): Promise<void> {
  const usage = await renderUsage(command);
  stream.write(`${wantsColour() ? usage : stripAnsi(usage)}\n`);
}

async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${VERSION}${COMMIT ? ` (${COMMIT})` : ""}\n`);
    return 0;
  }
  // Loaded only now: the command tree imports every module (consola alone takes ~6 ms to load),
  // which `--version` does not need.
  const { main } = await import("./commands/main.ts");
  const { command, rest } = await resolve(main, argv);
  const beforeDashes = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    await printUsage(command, process.stdout);
    return 0;
  }
  if (!command.run) {
    await printUsage(command, process.stderr);
    const given = rest.find((token) => !token.startsWith("-"));
    throw new UsageError(given ? `unknown command ${JSON.stringify(given)}` : "a command is needed (see above)");
  }
  checkFlags(((await command.args) ?? {}) as ArgsDef, rest);
  const { result } = await runCommand(command, { rawArgs: rest });
  return typeof result === "number" ? result : 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof MinibenchError) {
    process.stderr.write(`minibench: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof Error && error.name === "CLIError") {
    // citty's own argument checks (an enum value out of range): a usage error like ours.
    process.stderr.write(`minibench: ${stripAnsi(error.message)}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`minibench: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
}
