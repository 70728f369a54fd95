import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fresh directory under the system's temp dir, removed when the test file is done, so a test
 * run leaves nothing behind. Ask for it at a file's top level or in a `describe` body, where
 * `afterAll` can be registered.
 */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `minibench-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
