import type { ArgDef, ArgsDef, CommandDef } from "citty";
import { UsageError } from "../errors.ts";
import { flagName, type OptionTable } from "../config/options.ts";

/**
 * The command line, read against a command's argument definitions. citty's own parser accepts
 * unknown flags silently (a typo such as `--concurency 50` would run with the default), keeps only
 * the last of a repeated flag and cannot tell a flag that lacks its value, so minibench reads the
 * arguments itself, in one place, and hands the commands citty-shaped parsed arguments.
 */

/** citty's argument definition, with what minibench's parser and help also read. */
export type ArgSpec = ArgDef & {
  /** May be given several times; the value is the list, in order. */
  repeatable?: boolean;
  /** A positional that takes any number of values (`merge A.json B.json …`). */
  variadic?: boolean;
  /** Help's section for it; arguments without one are listed first. */
  section?: string;
  /** Help's words for the default, when the default is applied later than the parser (by a plan). */
  shownDefault?: string;
};

/**
 * A command as minibench defines it: citty's, with examples for its help. Its arguments' type is
 * left open: a tree holds commands of different arguments, each typed where it is defined.
 */
export type Command = CommandDef<any> & { examples?: readonly string[] };

/** Parsed arguments as citty shapes them: positionals in `_` and by name, flags by key. */
export type ParsedArgs = { _: string[] } & Record<string, unknown>;

/** The citty arguments of a mode's options: no default here, since a plan applies defaults after the config file's. */
export function argsOf(table: OptionTable, mode: string): ArgsDef {
  const args: Record<string, ArgSpec> = {};
  for (const [key, option] of Object.entries(table)) {
    if (!option.modes.includes(mode)) continue;
    const shownDefault = option.defaultText ?? (option.default === undefined ? undefined : option.kind.show(option.default));
    const common = { description: option.help, valueHint: option.hint ?? option.kind.hint, section: option.section, shownDefault };
    if (option.positional) args[key] = { ...common, type: "positional", required: option.required ?? false };
    else if (option.kind.hint === "") args[flagName(key, option)] = { ...common, type: "boolean", alias: option.alias, negativeDescription: option.negated };
    else args[flagName(key, option)] = { ...common, type: "string", alias: option.alias, required: option.required, repeatable: option.repeatable };
  }
  return args as ArgsDef;
}

interface Flag {
  key: string;
  spec: ArgSpec;
  /** `--no-x`. */
  negated: boolean;
}

/** Every name a flag answers to (key, aliases, `no-` for booleans) → the flag. */
function flagTable(args: ArgsDef): Map<string, Flag> {
  const table = new Map<string, Flag>();
  for (const [key, def] of Object.entries(args) as [string, ArgSpec][]) {
    if (def.type === "positional") continue;
    const aliases = "alias" in def && def.alias ? [def.alias].flat() : [];
    for (const name of [key, ...aliases]) {
      table.set(name, { key, spec: def, negated: false });
      if (def.type === "boolean") table.set(`no-${name}`, { key, spec: def, negated: true });
    }
  }
  return table;
}

function splitFlag(token: string): [string, string | undefined] {
  const body = token.replace(/^--?/, "");
  const eq = body.indexOf("=");
  return eq < 0 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}

const dashed = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

const isFlag = (token: string) => token.startsWith("-") && token !== "-";

/** Whether `--name` takes the next argument as its value (for finding subcommand names). */
export function takesValue(args: ArgsDef, token: string): boolean {
  if (!isFlag(token) || token.includes("=")) return false;
  const flag = flagTable(args).get(splitFlag(token)[0]);
  return flag !== undefined && flag.spec.type !== "boolean";
}

/**
 * Reads `rawArgs` against `args`: refuses unknown flags (suggesting the nearest name), flags
 * without their value, values given to a boolean and extra positionals; applies the definitions'
 * defaults for flags not given.
 */
export function parseArgv(args: ArgsDef, rawArgs: readonly string[], elsewhere: ReadonlyMap<string, string> = new Map()): ParsedArgs {
  const table = flagTable(args);
  const specs = Object.entries(args) as [string, ArgSpec][];
  const positionalNames = specs.filter(([, def]) => def.type === "positional").map(([key]) => key);
  const variadic = specs.some(([, def]) => def.type === "positional" && def.variadic === true);
  const parsed: ParsedArgs = { _: [] };
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") {
      parsed._.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!isFlag(token)) {
      parsed._.push(token);
      continue;
    }
    const [name, inlineValue] = splitFlag(token);
    const flag = table.get(name);
    if (flag === undefined) throw unknownOption(name, table, elsewhere);
    if (flag.spec.type === "boolean") {
      if (inlineValue !== undefined) throw new UsageError(`${dashed(name)} takes no value`);
      parsed[flag.key] = !flag.negated;
      continue;
    }
    let value = inlineValue;
    if (value === undefined) {
      const next = rawArgs[i + 1];
      // A negative number is a value (to be refused with a reason), not a flag.
      if (next === undefined || (isFlag(next) && !/^-\d/.test(next))) throw new UsageError(`${dashed(name)} needs a value`);
      value = next;
      i++;
    }
    parsed[flag.key] = flag.spec.repeatable ? [...((parsed[flag.key] as string[] | undefined) ?? []), value] : value;
  }
  if (!variadic && parsed._.length > positionalNames.length) throw new UsageError(`unexpected argument ${JSON.stringify(parsed._[positionalNames.length])}`);
  positionalNames.forEach((key, i) => {
    if (i < parsed._.length) parsed[key] = parsed._[i];
  });
  for (const [key, def] of specs) if (parsed[key] === undefined && "default" in def && def.default !== undefined) parsed[key] = def.default;
  return parsed;
}

/** The nearest name of this command's when one is near; else the other command the flag belongs to. */
function unknownOption(name: string, table: Map<string, Flag>, elsewhere: ReadonlyMap<string, string>): UsageError {
  const owner = elsewhere.get(name);
  const hint = suggestion(name, [...table.keys()], dashed) ?? (owner ? ` (an option of ${owner})` : " (see --help)");
  return new UsageError(`unknown option ${dashed(name)}${hint}`);
}

/** ` (did you mean --concurrency?)` for the nearest of `names` by edit distance when one is near enough, or the one name `word` begins. */
export function suggestion(word: string, names: readonly string[], show: (name: string) => string = (name) => name): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  // One edit in a short word, two in a longer one: beyond that a guess misleads more than it helps.
  const near = word.length <= 4 ? 1 : 2;
  if (best !== null && bestDistance <= near && word.length > 1) return ` (did you mean ${show(best)}?)`;
  // A word that begins exactly one name is that name cut short: `--warmup` for `--warmup-sec`.
  const longer = names.filter((name) => name.startsWith(word));
  return word.length >= 3 && longer.length === 1 ? ` (did you mean ${show(longer[0]!)}?)` : null;
}

/** Levenshtein distance, counting a swap of two neighbours as one edit (the commonest typo). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = distance;
    }
  }
  return rows[a.length]![b.length]!;
}
