import { readFileSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { RunError, UsageError } from "../errors.ts";
import { documentProblem, type ResultDocument } from "../stats/document.ts";

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

/**
 * A result document from a file, checked enough that rendering cannot fail half-way: every
 * problem becomes one line naming the file, never a stack trace.
 */
export function readResultDocument(path: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UsageError(`${path}: cannot read the result document (${code === "ENOENT" ? "no such file" : message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const problem = documentProblem(value);
  if (problem) throw new UsageError(`${path}: not a minibench result document (${problem})`);
  return value as ResultDocument;
}
