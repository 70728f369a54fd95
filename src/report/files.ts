import { renameSync, writeFileSync, unlinkSync } from "node:fs";
import { RunError } from "../errors.ts";

/** Writes a whole file or nothing: a temp file beside it, then a rename, so no reader ever sees half of it. */
export function writeAtomically(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, content);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was written, or it is already gone.
    }
    throw new RunError(`cannot write ${path}: ${(error as Error).message}`);
  }
}
