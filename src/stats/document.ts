import type { CapacityFindings } from "./capacity-findings.ts";
import { decodeHistogram } from "./histogram.ts";
import type { GroupSummary } from "./summary.ts";
import type { RunResult } from "./result.ts";
import { VERSION } from "../version.ts";
import { formatCount } from "../units.ts";

/**
 * Bumped whenever a field changes meaning or goes away, or a new one matters to readers;
 * `tests/result.schema.json` describes it. 2: runs may carry `startedAt` and `intervals`.
 */
export const SCHEMA_VERSION = 2;

export type Mode = "closed" | "open" | "sweep" | "preset" | "capacity";

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
    /** One per measured point (phase, concurrency, target rate), in the order they ran. */
    groups: GroupSummary[];
    /** Set when the run was stopped early: what is here was measured, but less than planned. */
    interrupted?: boolean;
    /** Sweeps and presets: where the capacity curve peaks and bends. */
    sweep?: SweepFindings;
    /** Presets: the calibrated capacity and the open-loop levels derived from it. */
    preset?: PresetFindings;
    /** `bench capacity`: the rate found within the SLO, and every probe of the search. */
    capacity?: CapacityFindings;
  };
}

export interface SweepPoint {
  concurrency: number;
  throughputRps: number;
}

export interface SweepFindings {
  /** Highest median throughput. */
  best: SweepPoint | null;
  /** Smallest concurrency whose median throughput is ≥ 90% of the best. */
  knee: SweepPoint | null;
  /** With `--slo-p99`: the highest throughput whose median p99 meets the SLO (point null when none does). */
  slo?: { p99Ms: number; point: SweepPoint | null };
}

export interface PresetFindings {
  profile: string;
  /** How X was found: the calibration sweep's best median throughput, or the open-loop capacity within the profile's SLO (`summary.capacity`). Absent in older documents: a sweep. */
  calibration?: "sweep" | "capacity";
  /** Calibrated capacity X. */
  capacityRps: number;
  /** Each open-loop level as a fraction of X and the rate it ran at. */
  levels: { fraction: number; targetRps: number }[];
}

/** An open level may achieve this much above the calibrated capacity before the calibration is called short. */
export const CAPACITY_MARGIN = 0.02;

/**
 * What to say when an open level delivered more than the calibration said the server could: the
 * calibration fell short, and the levels derived from it are not the loads they claim. Null otherwise.
 */
export function capacityExceeded(preset: Pick<PresetFindings, "capacityRps">, group: Pick<GroupSummary, "achievedRps">): string | null {
  if (group.achievedRps === null || preset.capacityRps <= 0 || group.achievedRps <= preset.capacityRps * (1 + CAPACITY_MARGIN)) return null;
  return `achieved ${formatCount(group.achievedRps)} req/s, more than the calibrated capacity of ${formatCount(preset.capacityRps)} req/s: the calibration underestimated the server`;
}

export function resultDocument(
  mode: Mode,
  url: string,
  startedAt: Date,
  options: Record<string, unknown>,
  runs: RunResult[],
  groups: GroupSummary[],
  interrupted: boolean,
  findings: { sweep?: SweepFindings; preset?: PresetFindings; capacity?: CapacityFindings } = {},
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
    summary: { groups, ...(interrupted ? { interrupted } : {}), ...findings },
  };
}

/** What keeps `value` from being a document this version can render, or null when nothing does. */
export function documentProblem(value: unknown): string | null {
  const document = value as Partial<ResultDocument> | null;
  if (document === null || typeof document !== "object" || Array.isArray(document)) return "expected a JSON object";
  if (document.tool !== "minibench") return `"tool" is ${JSON.stringify(document.tool)}, expected "minibench"`;
  if (typeof document.schemaVersion !== "number" || document.schemaVersion > SCHEMA_VERSION) {
    return `schemaVersion ${JSON.stringify(document.schemaVersion)}; this minibench reads ${SCHEMA_VERSION}`;
  }
  if (!Array.isArray(document.runs)) return `"runs" is not a list`;
  if (!Array.isArray(document.summary?.groups)) return `"summary.groups" is not a list`;
  // Histograms are the data the charts are drawn from: a corrupt one must fail here, named.
  const histograms: [string, unknown][] = [
    ...document.runs.flatMap((run, i): [string, unknown][] => [
      [`runs[${i}].histogram`, run?.histogram],
      ...(run?.serviceHistogram === undefined ? [] : [[`runs[${i}].serviceHistogram`, run.serviceHistogram] as [string, unknown]]),
      ...(Array.isArray(run?.intervals) ? run.intervals.map((interval, k): [string, unknown] => [`runs[${i}].intervals[${k}].histogram`, interval?.histogram]) : []),
    ]),
    ...document.summary.groups.map((group, i): [string, unknown] => [`summary.groups[${i}].merged.histogram`, group?.merged?.histogram]),
  ];
  for (const [where, encoded] of histograms) {
    if (typeof encoded !== "string") return `${where} is missing`;
    try {
      decodeHistogram(encoded);
    } catch {
      return `${where} is not an encoded HdrHistogram`;
    }
  }
  return null;
}
