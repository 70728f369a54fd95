import { targetSummaries, type TargetSummary } from "../stats/by-target.ts";
import type { ResultDocument } from "../stats/document.ts";
import type { RunResult } from "../stats/result.ts";
import type { StageResult } from "../stats/stage-results.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { summarizeRepeats, totalErrors } from "../stats/summary.ts";

export const CSV_COLUMNS = [
  "batch_ts", "phase", "profile", "url", "concurrency", "target_rps", "achieved_rps", "throughput_rps", "repeats",
  "requests", "ok", "errors", "dropped", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
  // Appended after the contract's columns, never inserted: open loop only, empty in closed loop.
  "sustained",
  // Rows of a run in stages (phase `open_stage`), after the run's own row: which stage, where it lies in the window.
  "stage", "stage_start_s", "stage_duration_s",
  // Rows of `bench capacity`'s probes (phase `capacity_probe`, after its `capacity_estimate`): their order, their step in the search, their verdict.
  "probe", "probe_step", "verdict", "why",
  // A request pool's rows, after its point's (and its stages'): one per target, named here.
  "target",
] as const;

type AppendedColumn = "stage" | "stage_start_s" | "stage_duration_s" | "probe" | "probe_step" | "verdict" | "why" | "target";

/** What a row reports: a measured point (a group of repeats), a stage of a run, or a probe. */
export type CsvPoint = Pick<GroupSummary, "phase" | "concurrency" | "targetRps" | "achievedRps" | "repeats" | "requests" | "ok" | "errors" | "latencyMs" | "sustained"> & {
  throughputRps: number | null;
  /** Null where drops are not counted apart: a target's row (a dropped request never had a target). */
  dropped: number | null;
};

/** One row: its point, the phase it is written under when not the point's own, and its appended cells. */
export interface CsvLine {
  point: CsvPoint;
  phase?: string;
  extra?: Partial<Record<AppendedColumn, Cell>>;
}

export interface CsvContext {
  batchTs: string;
  url: string;
  profile: string;
  /** The phase as written, e.g. `closed_sweep` in presets. */
  phaseName?: (group: GroupSummary) => string;
}

type Cell = string | number | null;

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double the quotes inside. */
export function csvField(value: Cell): string {
  if (value === null) return "";
  const text = typeof value === "number" ? String(Math.round(value * 1000) / 1000) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow({ point: group, phase, extra = {} }: CsvLine, context: CsvContext): string {
  const latency = group.latencyMs;
  const cells: Cell[] = [
    context.batchTs,
    phase ?? (context.phaseName ? context.phaseName(group as GroupSummary) : group.phase),
    context.profile,
    context.url,
    group.concurrency,
    group.targetRps,
    group.achievedRps,
    group.throughputRps,
    group.repeats,
    group.requests,
    group.ok,
    totalErrors(group.errors),
    group.dropped,
    latency.mean,
    latency.p50,
    latency.p90,
    latency.p99,
    latency.p999,
    latency.max,
    group.sustained === null ? null : String(group.sustained),
    ...CSV_COLUMNS.slice(CONTRACT_AND_SUSTAINED).map((column) => extra[column as AppendedColumn] ?? null),
  ];
  return cells.map(csvField).join(",");
}

const CONTRACT_AND_SUSTAINED = CSV_COLUMNS.indexOf("sustained") + 1;

export function csv(lines: readonly (CsvLine | GroupSummary)[], context: CsvContext): string {
  const rows = lines.map((line) => csvRow("point" in line ? line : { point: line }, context));
  return [CSV_COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}

/**
 * The rows of a result document: each measured point, followed by the stages of its runs in
 * stages; for `bench capacity`, the closed-loop estimate and then one row per probe.
 */
export function documentLines(document: ResultDocument): CsvLine[] {
  const capacity = document.summary.capacity;
  if (capacity) {
    const estimate = document.summary.groups.filter((group) => group.phase === "closed").map((point) => ({ point, phase: "capacity_estimate" }));
    const probes = capacity.probes.flatMap((probe, i): CsvLine[] => {
      const run = probe.run === null ? undefined : document.runs[probe.run];
      if (run === undefined) return [];
      const extra = { probe: i + 1, probe_step: probe.step, verdict: probe.pass ? "pass" : "fail", why: probe.reasons.join("; ") };
      return [{ point: summarizeRepeats([run])[0]!, phase: "capacity_probe", extra }];
    });
    // A preset calibrated by the search: its open-loop levels follow the probes.
    const levels = document.summary.preset?.levels ?? [];
    const levelLines = document.summary.groups.filter((group) => group.phase === "open" && levels.some((level) => level.targetRps === group.targetRps)).map((point) => ({ point }));
    return [...estimate, ...probes, ...levelLines];
  }
  return document.summary.groups.flatMap((group) => {
    const runs = document.runs.filter((run) => run.phase === group.phase && run.concurrency === group.concurrency && run.targetRps === group.targetRps);
    const targets = targetSummaries(runs).map((target) => targetLine(group, target));
    return [{ point: group }, ...runs.flatMap((run) => (run.stages ?? []).map((stage) => stageLine(run, stage))), ...targets];
  });
}

/** A target's row: its point's place, its own counts and percentiles; rates, drops and the verdict are the point's alone. */
function targetLine(group: GroupSummary, target: TargetSummary): CsvLine {
  const { phase, concurrency, targetRps } = group;
  const { repeats, requests, ok, errors, latencyMs } = target;
  const point: CsvPoint = { phase, concurrency, targetRps, achievedRps: null, throughputRps: null, repeats, requests, ok, errors, dropped: null, latencyMs, sustained: null };
  return { point, extra: { target: target.name } };
}

function stageLine(run: RunResult, stage: StageResult): CsvLine {
  const point: CsvPoint = { ...stage, phase: run.phase, concurrency: run.concurrency, repeats: 1, throughputRps: null };
  return { point, phase: `${run.phase}_stage`, extra: { stage: stage.stage, stage_start_s: stage.startS, stage_duration_s: stage.durationS } };
}
