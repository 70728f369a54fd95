import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { readHttpTargets } from "./http-format.ts";
import { readJsonTargets } from "./json-lines.ts";
import { Lines } from "./lines.ts";
import { Place, type EmitTarget, type TargetDefaults, type TargetSpec } from "./target-spec.ts";
import { readUrlList } from "./url-list.ts";

/**
 * A targets file (`--targets FILE`, `-` for stdin) in one of three formats, each target handed to
 * `emit` as soon as it is read, so a million-line file never exists as a million objects at once.
 * Without `--targets-format` the first line that is neither blank nor a comment decides: `{` is
 * JSON lines, `METHOD URL` is vegeta's HTTP format, anything else a URL list.
 */

export const TARGET_FORMATS = ["http", "json", "urls"] as const;
export type TargetFormat = (typeof TARGET_FORMATS)[number];

const GC_EVERY_TARGETS = 65_536;

export interface TargetsSource {
  /** For messages: the path as given, or `stdin`. */
  file: string;
  /** The whole text, or its chunks in order. */
  text: string | Iterable<string>;
}

export function detectFormat(text: string): TargetFormat {
  const line = /^[ \t\r]*([^\s#].*)$/m.exec(text)?.[1] ?? "";
  if (line.startsWith("{")) return "json";
  return /^[A-Z]+\s/.test(line) ? "http" : "urls";
}

/** Reads every target of `source`; returns how many. An empty file is refused. */
export function readTargets(source: TargetsSource, format: TargetFormat | null, defaults: TargetDefaults, emit: EmitTarget): number {
  const place = new Place(source.file);
  const chunks = (typeof source.text === "string" ? [source.text] : source.text)[Symbol.iterator]();
  // The format is decided by the first chunk (a megabyte of a file): it is read again as the first.
  const first = chunks.next();
  const text = first.done ? "" : first.value;
  const lines = new Lines(withFirst(text, chunks), place);
  let count = 0;
  const counted = (target: TargetSpec, line: number) => {
    emit(target, line);
    // A million lines leave a few hundred bytes of strings each behind; without a young-generation
    // collection now and then they pile up to hundreds of MB before the collector runs by itself.
    if (++count % GC_EVERY_TARGETS === 0) Bun.gc(false);
  };
  const chosen = format ?? detectFormat(text);
  if (chosen === "http") readHttpTargets(lines, defaults, cachedBodies(), counted);
  else if (chosen === "json") readJsonTargets(lines, defaults, counted);
  else readUrlList(lines, defaults, counted);
  if (count === 0) throw new UsageError(`${source.file}:${Math.max(place.line, 1)}: expected at least one target, the file has none`);
  return count;
}

function* withFirst(first: string, rest: Iterator<string>): Generator<string> {
  yield first;
  for (let chunk = rest.next(); !chunk.done; chunk = rest.next()) yield chunk.value;
}

const CHUNK_BYTES = 1 << 20;

/** `--targets FILE`, read a megabyte at a time, or stdin for `-` (read whole: the plan is made before anything runs). */
export function loadTargetsSource(path: string): TargetsSource {
  if (path === "-") return { file: "stdin", text: readFileSync(0, "utf8") };
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`--targets: cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  return { file: path, text: fileChunks(fd) };
}

function* fileChunks(fd: number): Generator<string> {
  const buffer = new Uint8Array(CHUNK_BYTES);
  // A UTF-8 character split between two reads is kept by the decoder for the next one.
  const decoder = new TextDecoder("utf-8");
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      yield decoder.decode(buffer.subarray(0, read), { stream: true });
    }
    yield decoder.decode();
  } finally {
    closeSync(fd);
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
