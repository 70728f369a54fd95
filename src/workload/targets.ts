import { readFileSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { readHttpTargets } from "./http-format.ts";
import { readJsonTargets } from "./json-lines.ts";
import { Place, type TargetDefaults, type TargetSpec } from "./target-spec.ts";
import { readUrlList } from "./url-list.ts";

/**
 * A targets file (`--targets FILE`, `-` for stdin) in one of three formats, each target handed to
 * `emit` as soon as it is read, so a million-line file never exists as a million objects at once.
 * Without `--targets-format` the first line that is neither blank nor a comment decides: `{` is
 * JSON lines, `METHOD URL` is vegeta's HTTP format, anything else a URL list.
 */

export const TARGET_FORMATS = ["http", "json", "urls"] as const;
export type TargetFormat = (typeof TARGET_FORMATS)[number];

export interface TargetsSource {
  /** For messages: the path as given, or `stdin`. */
  file: string;
  text: string;
}

export function detectFormat(text: string): TargetFormat {
  const line = /^[ \t\r]*([^\s#].*)$/m.exec(text)?.[1] ?? "";
  if (line.startsWith("{")) return "json";
  return /^[A-Z]+\s/.test(line) ? "http" : "urls";
}

/** Reads every target of `source`; returns how many. An empty file is refused. */
export function readTargets(source: TargetsSource, format: TargetFormat | null, defaults: TargetDefaults, emit: (target: TargetSpec) => void): number {
  const place = new Place(source.file);
  let count = 0;
  const counted = (target: TargetSpec) => {
    count++;
    emit(target);
  };
  const chosen = format ?? detectFormat(source.text);
  if (chosen === "http") readHttpTargets(source.text, place, defaults, cachedBodies(), counted);
  else if (chosen === "json") readJsonTargets(source.text, place, defaults, counted);
  else readUrlList(source.text, place, defaults, counted);
  if (count === 0) throw new UsageError(`${source.file}:${Math.max(place.line, 1)}: expected at least one target, the file has none`);
  return count;
}

/** The text of `--targets FILE`, or of stdin for `-`. */
export async function loadTargetsSource(path: string): Promise<TargetsSource> {
  if (path === "-") return { file: "stdin", text: await Bun.stdin.text() };
  try {
    return { file: path, text: readFileSync(path, "utf8") };
  } catch (error) {
    throw new UsageError(`--targets: cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}

/** vegeta reads `@path` relative to the current directory; a file named by many targets is read once. */
function cachedBodies(): (path: string) => Uint8Array {
  const cache = new Map<string, Uint8Array>();
  return (path) => {
    let body = cache.get(path);
    if (body === undefined) cache.set(path, (body = new Uint8Array(readFileSync(path))));
    return body;
  };
}
