/**
 * The report's charts over time, from the runs' intervals: for each measured point, latency
 * (p50, p99, max) and rates (achieved, target, errors, drops) interval by interval, its repeats
 * placed at their real start. This is where warm-up, GC pauses, a filling cache or a server that
 * tips into overload show, which no summary over a whole run can.
 */
import type { ResultDocument } from "../stats/document.ts";
import type { Interval, RunResult } from "../stats/result.ts";
import type { GroupSummary } from "../stats/summary.ts";
import { totalErrors } from "../stats/summary.ts";
import { compact } from "./svg-chart.ts";
import type { Chart, Guide, Point } from "./svg-chart.ts";

export interface TimeFigure {
  title: string;
  caption: string;
  chart: Chart;
}

const COLOURS = { p50: "#2563eb", p99: "#dc2626", max: "#7c3aed", achieved: "#059669", target: "#9ca3af", errors: "#dc2626", dropped: "#d97706", retried: "#0891b2" };

/** The runs of one point that carry intervals, in the order they ran. */
function timedRuns(document: ResultDocument, group: GroupSummary): RunResult[] {
  return document.runs.filter(
    (run) => run.phase === group.phase && run.concurrency === group.concurrency && run.targetRps === group.targetRps && run.intervals && run.startedAt,
  );
}

/** Each interval at its middle, in seconds from the first run's start. */
function placed(runs: readonly RunResult[]): { run: RunResult; interval: Interval; atS: number }[] {
  const zeroMs = Date.parse(runs[0]!.startedAt!);
  return runs.flatMap((run) => {
    const offsetS = (Date.parse(run.startedAt!) - zeroMs) / 1000;
    return run.intervals!.map((interval) => ({ run, interval, atS: offsetS + interval.startS + interval.durationS / 2 }));
  });
}

export function timeFigures(document: ResultDocument, pointName: (group: GroupSummary) => string): TimeFigure[] {
  return document.summary.groups.flatMap((group) => {
    const runs = timedRuns(document, group);
    if (runs.length === 0 || runs.every((run) => run.intervals!.length === 0)) return [];
    return pointFigures(runs, pointName(group));
  });
}

function pointFigures(runs: readonly RunResult[], name: string): TimeFigure[] {
  const points = placed(runs);
  const zeroMs = Date.parse(runs[0]!.startedAt!);
  // Repeats after the first start where a guide says so, and so do the stages of a load profile.
  const offsetS = (run: RunResult) => (Date.parse(run.startedAt!) - zeroMs) / 1000;
  const guides: Guide[] = runs.flatMap((run, i) => [
    ...(i === 0 ? [] : [{ axis: "x" as const, value: offsetS(run), label: `repeat ${run.repeat}` }]),
    ...(run.stages ?? []).filter((stage) => stage.startS > 0).map((stage) => ({ axis: "x" as const, value: offsetS(run) + stage.startS, label: `stage ${stage.stage}` })),
  ]);
  const x = { label: "time (s)", format: compact };
  // A point per interval; an interval in which no response came back has no latency to draw.
  const at = (atS: number) => `${atS.toFixed(1)} s`;
  const latency = (field: "p50" | "p99" | "max"): Point[] =>
    points
      .filter((p) => p.interval.latencyMs.max > 0)
      .map((p) => ({ x: p.atS, y: Math.max(p.interval.latencyMs[field], 0.001), title: `${at(p.atS)}: ${field} ${compact(p.interval.latencyMs[field])} ms` }));
  const rate = (label: string, count: (interval: Interval) => number): Point[] =>
    points.map((p) => {
      const y = p.interval.durationS > 0 ? count(p.interval) / p.interval.durationS : 0;
      return { x: p.atS, y, title: `${at(p.atS)}: ${label} ${compact(y)}/s` };
    });
  const errors = rate("errors", (interval) => totalErrors(interval.errors));
  const dropped = rate("dropped", (interval) => interval.dropped);
  const retried = rate("retried", (interval) => interval.retried ?? 0);
  const targetRps = runs[0]!.targetRps;
  /** The rate asked for at an interval's middle: the run's, or along its stage's ramp. */
  const targetAt = ({ run, interval }: (typeof points)[number]): number => {
    const middleS = interval.startS + interval.durationS / 2;
    const stage = run.stages?.find((s) => middleS >= s.startS && middleS < s.startS + s.durationS) ?? run.stages?.at(-1);
    if (!stage) return run.targetRps ?? 0;
    const along = stage.durationS > 0 ? Math.min(1, Math.max(0, (middleS - stage.startS) / stage.durationS)) : 1;
    return stage.fromRps + (stage.toRps - stage.fromRps) * along;
  };
  // The planned length, near enough: the median interval (timers fire late, a run's last interval is short).
  const lengths = points.map((p) => p.interval.durationS).sort((a, b) => a - b);
  const lengthS = Number(lengths[lengths.length >> 1]!.toPrecision(2));

  const latencyFigure: TimeFigure = {
    title: `Latency over time · ${name}`,
    caption: `p50, p99 and max of each ${lengthS} s interval, by when requests completed${runs[0]!.phase === "open" ? " (from the intended send time)" : ""}. Log scale.`,
    chart: {
      width: 520,
      height: 300,
      x,
      y: { label: "latency (ms)", log: true, format: compact },
      series: [
        { label: "max", color: COLOURS.max, points: latency("max"), noDots: true },
        { label: "p99", color: COLOURS.p99, points: latency("p99"), noDots: true },
        { label: "p50", color: COLOURS.p50, points: latency("p50"), noDots: true },
      ],
      guides,
    },
  };
  const rateFigure: TimeFigure = {
    title: `Rate over time · ${name}`,
    caption: "Responses per second of each interval" + (targetRps === null ? "" : " against the target rate") + "; errors, drops and retries per second where there were any.",
    chart: {
      width: 520,
      height: 300,
      x,
      y: { label: "req/s", format: compact },
      series: [
        { label: "achieved", color: COLOURS.achieved, points: rate("achieved", (interval) => interval.achievedRps * interval.durationS), noDots: true },
        ...(targetRps === null ? [] : [{ label: "target", color: COLOURS.target, dashed: true, noDots: true, points: points.map((p) => ({ x: p.atS, y: targetAt(p) })) }]),
        ...(errors.some((p) => p.y > 0) ? [{ label: "errors", color: COLOURS.errors, points: errors, noDots: true }] : []),
        ...(dropped.some((p) => p.y > 0) ? [{ label: "dropped", color: COLOURS.dropped, points: dropped, noDots: true }] : []),
        ...(retried.some((p) => p.y > 0) ? [{ label: "retried", color: COLOURS.retried, points: retried, noDots: true }] : []),
      ],
      guides,
    },
  };
  return [latencyFigure, rateFigure];
}
