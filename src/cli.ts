#!/usr/bin/env bun
import type { ArgsDef } from "citty";
import { MinibenchError, UsageError } from "./errors.ts";
import { type Command, parseArgv, suggestion, takesValue } from "./commands/args.ts";
import { renderHelp } from "./commands/help.ts";
import { COMMIT, VERSION } from "./version.ts";

/**
 * The entry point. citty defines the commands; this file walks the command tree itself so that
 * flags may stand before or after a subcommand (`bench --config x.json closed`), reads the
 * arguments (unknown flags refused, with a suggestion), prints help, and ends every set-up error
 * as one line on stderr with its exit code.
 */

interface Resolved {
  command: Command;
  /** The arguments left once subcommand names are taken out, in their original order. */
  rest: string[];
  /** The commands beside it (`bench open` beside `bench closed`), by name: a flag of theirs is a likely mix-up. */
  siblings: Record<string, Command>;
}

async function resolve(root: Command, argv: string[]): Promise<Resolved> {
  let command = root;
  let rest = argv;
  let siblings: Record<string, Command> = {};
  for (;;) {
    const subCommands = (await command.subCommands) as Record<string, Command> | undefined;
    if (!subCommands) return { command, rest, siblings };
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
    if (index < 0) return { command, rest, siblings };
    const name = rest[index]!;
    const next = subCommands[name];
    if (!next) throw new UsageError(`unknown command ${JSON.stringify(name)}${suggestion(name, Object.keys(subCommands)) ?? " (see --help)"}`);
    siblings = Object.fromEntries(Object.entries(subCommands).filter(([key]) => key !== name));
    command = next;
    rest = [...rest.slice(0, index), ...rest.slice(index + 1)];
  }
}

/** The union of the flags of a command and everything below it, to know which flags take a value. */
async function descendantArgs(command: Command): Promise<ArgsDef> {
  const own = ((await command.args) ?? {}) as ArgsDef;
  const subCommands = ((await command.subCommands) ?? {}) as Record<string, Command>;
  const below = await Promise.all(Object.values(subCommands).map(descendantArgs));
  return Object.assign({}, ...below, own);
}

/** Each flag of the sibling commands → the name of the first that has it: `rps` → `minibench bench open`. */
async function flagOwners(siblings: Record<string, Command>): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const sibling of Object.values(siblings)) {
    const meta = await (typeof sibling.meta === "function" ? sibling.meta() : sibling.meta);
    for (const [key, def] of Object.entries(((await sibling.args) ?? {}) as ArgsDef)) {
      if (def.type !== "positional" && !owners.has(key)) owners.set(key, meta?.name ?? key);
    }
  }
  return owners;
}

async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${VERSION}${COMMIT ? ` (${COMMIT})` : ""}\n`);
    return 0;
  }
  // Loaded only now: the command tree imports every module (consola alone takes ~6 ms to load),
  // which `--version` does not need.
  const { main } = await import("./commands/main.ts");
  const { command, rest, siblings } = await resolve(main, argv);
  const beforeDashes = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    process.stdout.write(await renderHelp(command));
    return 0;
  }
  if (!command.run) {
    process.stderr.write(await renderHelp(command));
    throw new UsageError("a command is needed (see above)");
  }
  const args = parseArgv(((await command.args) ?? {}) as ArgsDef, rest, await flagOwners(siblings));
  const result = await command.run({ rawArgs: rest, args: args as never, cmd: command });
  return typeof result === "number" ? result : 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof MinibenchError) {
    process.stderr.write(`minibench: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`minibench: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  }
}
