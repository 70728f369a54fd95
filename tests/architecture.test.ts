import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The layers of `src/` point one way: commands → schedule, config, report → client, server,
 * stats → http and the shared leaves. A room may import its own layer or any lower one, never a
 * higher one, so the statistics never learn about the report they feed, and a transport never
 * learns about the scheduler that drives it.
 */
const LAYERS: Record<string, number> = {
  "cli.ts": 4,
  commands: 3,
  schedule: 2,
  config: 2,
  report: 2,
  client: 1,
  workload: 1,
  server: 1,
  stats: 1,
  http: 0,
  "units.ts": 0,
  "errors.ts": 0,
  "log.ts": 0,
  "version.ts": 0,
  "libc.ts": 0,
  "worker-reply.ts": 0,
};

const SRC = resolve(import.meta.dir, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The room of a file under src/: its first folder, or the file itself at the top. */
const roomOf = (path: string) => relative(SRC, path).split("/")[0]!;

/** Every relative import and re-export in a module's text, static or dynamic. */
function relativeImports(text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]!);
  return [...new Set(specifiers)];
}

/** The imports of `src/` that point from a lower layer up to a higher one, as "from → to". */
function upwardImports(files: readonly string[], read: (path: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = roomOf(file);
    for (const specifier of relativeImports(read(file))) {
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(`${SRC}/`)) continue;
      const to = roomOf(target);
      if (LAYERS[to]! > LAYERS[from]!) found.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  return found;
}

describe("the layers of src/", () => {
  const files = sourceFiles(SRC);

  test("every room of src/ has a layer", () => {
    const rooms = [...new Set(files.map(roomOf))].sort();
    expect(rooms.filter((room) => LAYERS[room] === undefined)).toEqual([]);
  });

  test("no import points from a lower layer to a higher one", () => {
    expect(upwardImports(files, (path) => readFileSync(path, "utf8"))).toEqual([]);
  });

  test("a back-pointing import is caught, static or dynamic", () => {
    const stats = join(SRC, "stats/summary.ts");
    const sources: Record<string, string> = {
      [stats]: 'import { x } from "../report/table.ts";\nconst y = await import("../schedule/run.ts");\nimport { z } from "./result.ts";',
    };
    expect(upwardImports([stats], (path) => sources[path]!)).toEqual([
      "stats/summary.ts → report/table.ts",
      "stats/summary.ts → schedule/run.ts",
    ]);
  });
});
