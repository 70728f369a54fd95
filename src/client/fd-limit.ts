import { readdirSync, readFileSync } from "node:fs";

/**
 * How many files this process may open, and has open, where the system tells (Linux /proc).
 * Bun reports a connect that failed for lack of descriptors as ECONNREFUSED, so running out has to
 * be recognised from these numbers instead of from the error.
 */

export function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

export function openFileCount(): number | null {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return null;
  }
}

/** Descriptors the runtime itself needs besides the connections (event loop, stdio, workers). */
export const RUNTIME_FILES = 64;

/** Whether the process is at its open-file limit right now. */
export function outOfFiles(): boolean {
  const limit = openFileLimit();
  const count = openFileCount();
  return limit !== null && count !== null && count >= limit - 2;
}
