import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RunError, UsageError } from "../errors.ts";
import { documentProblem, type ResultDocument } from "../stats/document.ts";

const tempPath = (path: string) => `${path}.${process.pid}.tmp`;

/** Why a file system call failed, in words about the path the user gave (never the temp file's name). */
function reason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case "ENOENT":
      return "its directory does not exist";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "EISDIR":
      return "it is a directory";
    case "EEXIST":
      return "a file of that name is in the way";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return code ?? message;
  }
}

/** Writes a whole file or nothing: a temp file beside it, then a rename, so no reader ever sees half of it. */
export function writeAtomically(path: string, content: string): void {
  const temp = tempPath(path);
  try {
    writeFileSync(temp, content);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was written, or it is already gone.
    }
    throw new RunError(`cannot write ${path}: ${reason(error)}`);
  }
}

/**
 * Refuses, before any load is sent, a path the results could not be written to: it writes and
 * removes the very temp file `writeAtomically` will use, so what passes here can be written later.
 */
export function checkWritable(flag: string, path: string): void {
  const temp = tempPath(path);
  try {
    if (isDirectory(path)) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    writeFileSync(temp, "");
    unlinkSync(temp);
  } catch (error) {
    // ENOENT in a directory that exists: a file system that refuses new files, such as /proc.
    const refused = (error as NodeJS.ErrnoException).code === "ENOENT" && isDirectory(dirname(path));
    throw new UsageError(`${flag}: cannot write ${path}: ${refused ? `no file can be created in ${dirname(path)}` : reason(error)}`);
  }
}

/** `mkdir -p`, then the same probe as `checkWritable` inside it; refused with the flag's name. */
export function ensureDirectory(flag: string, path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new UsageError(`${flag}: cannot create the directory ${path}: ${reason(error)}`);
  }
  const probe = tempPath(join(path, ".minibench"));
  try {
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch (error) {
    throw new UsageError(`${flag}: cannot write into ${path}: ${reason(error)}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
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
