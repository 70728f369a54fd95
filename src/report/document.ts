import type { GroupSummary } from "../stats/summary.ts";
import type { RunResult } from "../stats/result.ts";
import { VERSION } from "../version.ts";

/** Bumped whenever a field changes meaning or goes away; `tests/result.schema.json` describes it. */
export const SCHEMA_VERSION = 1;

export type Mode = "closed" | "open" | "sweep" | "preset";

/** The result document: what `--json` prints and `--out` writes; `compare`, `merge` and `report` read it. */
export interface ResultDocument {
  schemaVersion: number;
  tool: "minibench";
  version: string;
  mode: Mode;
  url: string;
  startedAt: string;
  options: Record<string, unknown>;
  runs: RunResult[];
  summary: {
    groups: GroupSummary[];
    /** Set when the run was stopped early: what is here was measured, but less than planned. */
    interrupted?: boolean;
  };
}

export function resultDocument(
  mode: Mode,
  url: string,
  startedAt: Date,
  options: Record<string, unknown>,
  runs: RunResult[],
  groups: GroupSummary[],
  interrupted: boolean,
): ResultDocument {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: "minibench",
    version: VERSION,
    mode,
    url,
    startedAt: startedAt.toISOString(),
    options,
    runs,
    summary: { groups, ...(interrupted ? { interrupted } : {}) },
  };
}
