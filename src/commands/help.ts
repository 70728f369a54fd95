import type { ArgSpec, Command } from "./args.ts";

/**
 * `--help`, laid out for an 80-column terminal: flags left-aligned, each description wrapped beside
 * them with its default, a boolean that is on by default shown once as its `--no-` form, required
 * positionals in `<…>`, then examples. (citty's own usage right-aligns the flags to the longest
 * line, ~130 columns here.)
 */

export const HELP_WIDTH = 80;
/** Flags longer than this put their description on the next line rather than squeezing it. */
const MAX_LABEL = 28;

interface Entry {
  label: string;
  text: string;
  section: string;
}

export async function renderHelp(command: Command): Promise<string> {
  const meta = await (typeof command.meta === "function" ? command.meta() : command.meta);
  const name = meta?.name ?? "minibench";
  const description = meta?.description;
  const args = ((await command.args) ?? {}) as Record<string, ArgSpec>;
  const subCommands = ((await command.subCommands) ?? {}) as Record<string, Command>;
  const positionals = Object.values(args).filter((def) => def.type === "positional");
  const entries = Object.entries(args).map(([key, def]) => (def.type === "positional" ? positionalEntry(def) : flagEntry(key, def)));
  const subNames = Object.keys(subCommands);

  const usage = [
    name,
    ...(subNames.length > 0 ? ["<command>"] : []),
    ...positionals.map((def) => (def.required ? `<${def.valueHint}>` : `[${def.valueHint}]`)),
    ...(entries.length > positionals.length ? ["[options]"] : []),
  ].join(" ");
  const parts: string[] = [];
  if (description) parts.push(wrap(description, HELP_WIDTH).join("\n"));
  parts.push(`USAGE\n${wrap(usage, HELP_WIDTH - 2, 4).map((line) => `  ${line}`).join("\n")}`);
  if (subNames.length > 0) {
    const rows: Entry[] = [];
    for (const [key, sub] of Object.entries(subCommands)) {
      const subMeta = await (typeof sub.meta === "function" ? sub.meta() : sub.meta);
      rows.push({ label: key, text: subMeta?.description ?? "", section: "COMMANDS" });
    }
    parts.push(table("COMMANDS", rows, labelWidthOf(rows)));
  }
  // One column for every section, so that the descriptions line up down the whole page.
  const labelWidth = labelWidthOf(entries);
  for (const section of new Set(entries.map((entry) => entry.section))) {
    parts.push(table(section, entries.filter((entry) => entry.section === section), labelWidth));
  }
  if (command.examples && command.examples.length > 0) {
    parts.push(`EXAMPLES\n${command.examples.map((example) => `  ${example}`).join("\n")}`);
  }
  if (subNames.length > 0) parts.push(`Run \`${name} <command> --help\` for a command's options.`);
  return `${parts.join("\n\n")}\n`;
}

function positionalEntry(def: ArgSpec): Entry {
  return { label: String(def.valueHint), text: describe(def), section: (def.section ?? "ARGUMENTS").toUpperCase() };
}

function flagEntry(key: string, def: ArgSpec): Entry {
  const alias = "alias" in def && def.alias ? [def.alias].flat()[0] : undefined;
  const onByDefault = def.type === "boolean" && (def.default === true || def.shownDefault === "on") && def.negativeDescription !== undefined;
  const name = onByDefault ? `no-${key}` : key;
  const hint = def.type === "boolean" ? "" : ` ${def.valueHint ?? "VALUE"}`;
  // The short form names the positive flag only: `-c, --concurrency`, never `-k, --no-keepalive`.
  const label = `${alias && !onByDefault ? `-${alias}, ` : "    "}--${name}${hint}`;
  const text = onByDefault ? (def.negativeDescription ?? "") : describe(def);
  return { label, text, section: (def.section ?? "OPTIONS").toUpperCase() };
}

/** The description, with the default or "required" after it. */
function describe(def: ArgSpec): string {
  const description = def.description ?? "";
  if (def.required) return `${description} (required)`;
  if (def.type === "boolean") return description;
  const shown = def.shownDefault ?? ("default" in def && def.default !== undefined ? String(def.default) : undefined);
  return shown === undefined ? description : `${description} (default: ${shown})`;
}

const labelWidthOf = (rows: Entry[]) => Math.min(MAX_LABEL, Math.max(...rows.map((row) => row.label.length)));

function table(title: string, rows: Entry[], labelWidth: number): string {
  const indent = 2 + labelWidth + 2;
  const lines = [title];
  for (const row of rows) {
    const text = wrap(row.text, HELP_WIDTH - indent);
    if (row.label.length > labelWidth) {
      lines.push(`  ${row.label}`);
      lines.push(...text.map((line) => `${" ".repeat(indent)}${line}`));
      continue;
    }
    lines.push(`  ${row.label.padEnd(labelWidth)}  ${text[0] ?? ""}`.trimEnd());
    lines.push(...text.slice(1).map((line) => `${" ".repeat(indent)}${line}`));
  }
  return lines.join("\n");
}

/** Words into lines of at most `width` columns; lines after the first indented by `hang`. */
export function wrap(text: string, width: number, hang = 0): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const room = width - (lines.length > 0 ? hang : 0);
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((text, i) => (i > 0 ? " ".repeat(hang) + text : text));
}
