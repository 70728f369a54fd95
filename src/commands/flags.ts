import type { ArgsDef } from "citty";
import { UsageError } from "../errors.ts";

/**
 * citty accepts unknown flags silently and cannot tell a flag that lacks its value; a typo such as
 * `--concurency 50` must not run a benchmark with the default instead. This checks the raw
 * arguments of a command against its definitions before citty parses them.
 */

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface Flag {
  /** The key of its definition. */
  key: string;
  kind: "boolean" | "string";
}

/** Every name a flag answers to (key, kebab-case, aliases, `no-` for booleans) → the flag. */
function flagTable(args: ArgsDef): Map<string, Flag> {
  const table = new Map<string, Flag>();
  for (const [key, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const flag: Flag = { key, kind: def.type === "boolean" ? "boolean" : "string" };
    const aliases = "alias" in def && def.alias ? [def.alias].flat() : [];
    for (const name of [key, kebab(key), ...aliases]) {
      table.set(name, flag);
      if (flag.kind === "boolean") table.set(`no-${name}`, flag);
    }
  }
  return table;
}

/** Whether `--name` takes the next argument as its value (for finding subcommand names). */
export function takesValue(args: ArgsDef, token: string): boolean {
  if (!token.startsWith("-") || token.includes("=")) return false;
  return flagTable(args).get(token.replace(/^--?/, ""))?.kind === "string";
}

export function checkFlags(args: ArgsDef, rawArgs: readonly string[]): void {
  const table = flagTable(args);
  // A positional marked `variadic: true` (read only here; citty ignores it) takes any number of values: `merge A.json B.json …`.
  const variadic = Object.values(args).some((def) => def.type === "positional" && (def as { variadic?: boolean }).variadic === true);
  const positionals = variadic ? Number.POSITIVE_INFINITY : Object.values(args).filter((def) => def.type === "positional").length;
  let seenPositionals = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") {
      if (++seenPositionals > positionals) throw new UsageError(`unexpected argument ${JSON.stringify(token)}`);
      continue;
    }
    const [name, inlineValue] = splitFlag(token);
    const kind = table.get(name)?.kind;
    if (kind === undefined) throw new UsageError(`unknown option ${token.split("=")[0]} (see --help)`);
    if (kind === "boolean" && inlineValue !== undefined) throw new UsageError(`${dashed(name)} takes no value`);
    if (kind === "string" && inlineValue === undefined) {
      const next = rawArgs[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        throw new UsageError(`${dashed(name)} needs a value`);
      }
      i++;
    }
  }
}

function splitFlag(token: string): [string, string | undefined] {
  const body = token.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq < 0 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}

const dashed = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** Every value of a repeatable flag (citty keeps only the last): `-H a -H b` → ["a", "b"]. */
export function repeatedValues(rawArgs: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") break;
    const [name, inlineValue] = splitFlag(token);
    if (!token.startsWith("-") || !names.includes(name)) continue;
    if (inlineValue !== undefined) values.push(inlineValue);
    else if (i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
  }
  return values;
}

/** The keys of the flags that were given on the command line (not filled in from a default). */
export function givenFlags(args: ArgsDef, rawArgs: readonly string[]): Set<string> {
  const table = flagTable(args);
  const given = new Set<string>();
  for (const token of rawArgs) {
    if (token === "--") break;
    if (!token.startsWith("-")) continue;
    const flag = table.get(splitFlag(token)[0]);
    if (flag !== undefined) given.add(flag.key);
  }
  return given;
}
