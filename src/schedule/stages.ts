import type { OpenRun } from "../config/plan.ts";
import { UsageError } from "../errors.ts";
import type { StageSpan } from "../stats/stage-results.ts";
import { parseCount, parseDurationS } from "../units.ts";

/**
 * Load profiles in stages (k6's `duration:target` notation): each stage moves the level linearly
 * from where the previous one ended to its target over its duration, `0s` being a step. The level
 * is an open loop's arrival rate r(t) or a closed loop's number of connections.
 */

export interface Stage {
  /** How long the move to `target` takes; 0 is a step. */
  durationS: number;
  /** The level at the end of the stage: requests per second, or connections. */
  target: number;
}

/** `30s:1000,0s:5000,60s:5000,10s:0`. Messages name the flag and the stage. */
export function parseStages(flag: string, text: string): Stage[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length === 0 || parts.every((part) => part === "")) {
    throw new UsageError(`${flag}: expected stages as duration:target, e.g. 30s:1000,0s:5000,60s:5000`);
  }
  return parts.map((part, i) => {
    const name = `${flag} stage ${i + 1}`;
    const colon = part.indexOf(":");
    if (colon < 0) throw new UsageError(`${name}: expected duration:target (e.g. 30s:1000), got ${JSON.stringify(part)}`);
    return {
      durationS: parseDurationS(`${name} duration`, part.slice(0, colon)),
      target: parseCount(`${name} target`, part.slice(colon + 1), { min: 0 }),
    };
  });
}

/**
 * Stages from a flag's text (`30s:1000,0s:5000`) or a config file's JSON: the same text, or a list
 * of `{ "duration": "30s" | 30, "target": 1000 }`. Messages start with `label` and, in a list,
 * name the item: `bench_config.json: defaults.stages[2].target: …`.
 */
export function readStages(input: unknown, label: string): Stage[] {
  if (typeof input === "string") return parseStages(label, input);
  if (!Array.isArray(input) || input.length === 0) {
    throw new UsageError(`${label}: expected stages as "duration:target,…" or a non-empty list of { "duration", "target" }, got ${JSON.stringify(input)}`);
  }
  return input.map((item: unknown, i) => {
    const at = `${label}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new UsageError(`${at}: expected { "duration": "30s", "target": 1000 }, got ${JSON.stringify(item)}`);
    const unknown = Object.keys(item).filter((key) => key !== "duration" && key !== "target");
    if (unknown.length > 0) throw new UsageError(`${at}.${unknown[0]}: unknown key (a stage has "duration" and "target")`);
    const { duration, target } = item as Record<string, unknown>;
    const asText = (value: unknown) => (typeof value === "number" || typeof value === "string" ? String(value) : JSON.stringify(value ?? null));
    return { durationS: parseDurationS(`${at}.duration`, asText(duration)), target: parseCount(`${at}.target`, asText(target), { min: 0 }) };
  });
}

/** Stages written back in the notation they are read in. */
export function formatStages(stages: readonly Stage[]): string {
  return stages.map((stage) => `${stage.durationS}s:${stage.target}`).join(",");
}

/**
 * A piecewise-linear level over time, t in seconds from the profile's start, and its integral
 * H(t) = ∫₀ᵗ r: for an open loop, the number of requests expected by t. Each segment's H is a
 * quadratic, so its inverse is closed-form: the n-th request is due at H⁻¹(n), computed from n
 * rather than by adding gaps, so rounding never accumulates into the rate.
 */
export class LoadProfile {
  readonly durationS: number;
  /** H(T): the requests expected over the whole profile. */
  readonly total: number;
  readonly startLevel: number;
  readonly maxLevel: number;
  /** When each stage starts and ends, seconds from the start (a step starts and ends at once). */
  readonly stageStartsS: readonly number[];
  readonly stageEndsS: readonly number[];

  // One entry per stage of non-zero duration: a step only changes where the next segment starts.
  private readonly segStartS: number[] = [];
  private readonly segLengthS: number[] = [];
  private readonly segFrom: number[] = [];
  private readonly segTo: number[] = [];
  /** H at the segment's start. */
  private readonly segAreaBefore: number[] = [];
  /** Requests ask for H⁻¹ in increasing n, so the search resumes where the last one ended. */
  private cursor = 0;
  /**
   * The n at which arrivals end: H(T) less its rounding. Durations such as 0.2 s + 2 s add up to a
   * hair over 2.2 s, and 200 req/s over them to 440.00000000000006 requests: the 441st would be due
   * a femtosecond before the end.
   */
  private readonly endArea: number;

  constructor(
    startLevel: number,
    readonly stages: readonly Stage[],
  ) {
    let tS = 0;
    let level = startLevel;
    let area = 0;
    const starts: number[] = [];
    const ends: number[] = [];
    for (const stage of stages) {
      starts.push(tS);
      if (stage.durationS > 0) {
        this.segStartS.push(tS);
        this.segLengthS.push(stage.durationS);
        this.segFrom.push(level);
        this.segTo.push(stage.target);
        this.segAreaBefore.push(area);
        area += ((level + stage.target) / 2) * stage.durationS;
        tS += stage.durationS;
      }
      level = stage.target;
      ends.push(tS);
    }
    this.startLevel = startLevel;
    this.durationS = tS;
    this.total = area;
    this.endArea = area * (1 - 1e-12);
    this.stageStartsS = starts;
    this.stageEndsS = ends;
    this.maxLevel = Math.max(startLevel, ...stages.map((stage) => stage.target));
  }

  /** A constant level for `durationS`: one stage. */
  static constant(level: number, durationS: number): LoadProfile {
    return new LoadProfile(level, [{ durationS, target: level }]);
  }

  /** r(t); at a step, the level after it. Before the start, the starting level; past the end, the last. */
  levelAt(tS: number): number {
    if (tS >= this.durationS) return this.stages.at(-1)?.target ?? this.startLevel;
    const i = this.segmentAt(tS);
    if (i < 0) return this.startLevel;
    return this.segFrom[i]! + ((this.segTo[i]! - this.segFrom[i]!) * (tS - this.segStartS[i]!)) / this.segLengthS[i]!;
  }

  /** H(t) = ∫₀ᵗ r, clamped to [0, T]. */
  areaUntil(tS: number): number {
    const i = this.segmentAt(tS);
    if (i < 0) return 0;
    const tauS = Math.min(tS - this.segStartS[i]!, this.segLengthS[i]!);
    const slope = (this.segTo[i]! - this.segFrom[i]!) / this.segLengthS[i]!;
    return this.segAreaBefore[i]! + this.segFrom[i]! * tauS + (slope * tauS * tauS) / 2;
  }

  /**
   * H⁻¹(n): the earliest t with H(t) = n, or Infinity when n ≥ H(T) (the profile ends first).
   * Segments at level 0 hold no area, so no n falls in them: arrivals skip to the next segment.
   */
  timeOfArea(n: number): number {
    if (n < 0) return 0;
    if (n >= this.endArea) return Number.POSITIVE_INFINITY;
    if (n < this.segAreaBefore[this.cursor]!) this.cursor = 0;
    const last = this.segStartS.length - 1;
    while (this.cursor < last && n >= this.segAreaBefore[this.cursor + 1]!) this.cursor++;
    const i = this.cursor;
    const from = this.segFrom[i]!;
    const lengthS = this.segLengthS[i]!;
    const slope = (this.segTo[i]! - from) / lengthS;
    const d = n - this.segAreaBefore[i]!;
    // Solves (slope/2)·τ² + from·τ − d = 0 in the form that stays exact as slope → 0 (no division
    // by it, no cancellation): τ = 2d / (from + √(from² + 2·slope·d)). Inside the segment the root
    // is real and the denominator positive, since from² + 2·slope·d ≥ r(τ)² ≥ 0 and a segment with
    // area has from > 0 or a rising slope; rounding is clamped to the segment.
    const root = Math.sqrt(Math.max(0, from * from + 2 * slope * d));
    const tauS = d === 0 ? 0 : (2 * d) / (from + root);
    return this.segStartS[i]! + Math.min(lengthS, Math.max(0, tauS));
  }

  /** The stage whose span holds t (the last stage of non-zero duration that starts at or before t), -1 before the first. */
  stageAt(tS: number): number {
    let found = -1;
    for (let i = 0; i < this.stages.length; i++) {
      if (this.stageStartsS[i]! <= tS && this.stageEndsS[i]! > this.stageStartsS[i]!) found = i;
    }
    return found;
  }

  private segmentAt(tS: number): number {
    let found = -1;
    for (let i = 0; i < this.segStartS.length && this.segStartS[i]! <= tS; i++) found = i;
    return found;
  }
}

/**
 * An open run's arrival rate over one repeat: its warm-up (at the starting rate, on the same
 * schedule, so the warm-up ends where the measured window starts), then its stages or its constant rate.
 */
export function openProfile(run: OpenRun, warmupS: number): LoadProfile {
  if (run.stages === undefined) return LoadProfile.constant(run.rateRps, warmupS + run.durationS);
  const warmup = warmupS > 0 ? [{ durationS: warmupS, target: run.rateRps }] : [];
  return new LoadProfile(run.rateRps, [...warmup, ...run.stages]);
}

/** The rate an open run's window asks for on average: what its verdict judges it against. */
export function meanRateRps(run: OpenRun): number {
  if (run.stages === undefined || run.durationS <= 0) return run.rateRps;
  return new LoadProfile(run.rateRps, run.stages).total / run.durationS;
}

/** Intervals to measure stages by: 1 s, or a quarter of the shortest stage that lasts. */
export function stageIntervalS(stages: readonly Stage[]): number {
  const shortestS = Math.min(...stages.filter((stage) => stage.durationS > 0).map((stage) => stage.durationS));
  return Math.min(1, shortestS / 4);
}

/** Where each stage of an open run lies in its measured window; null for a constant rate. */
export function stageSpans(run: OpenRun): StageSpan[] | null {
  if (run.stages === undefined) return null;
  const profile = new LoadProfile(run.rateRps, run.stages);
  const spans: StageSpan[] = [];
  let fromRps = run.rateRps;
  run.stages.forEach((stage, i) => {
    if (stage.durationS > 0) spans.push({ stage: i + 1, startS: profile.stageStartsS[i]!, durationS: stage.durationS, fromRps, toRps: stage.target });
    fromRps = stage.target;
  });
  return spans;
}

/**
 * A closed loop in stages ramps its connections (`--stages 30s:10,60s:100`): at each moment it
 * keeps round(level(t)) requests in flight. The engine opens `maxLevel` connections at the start
 * (in batches, as it does); a freed slot sends again only while fewer than `connectionsAt(t)` are
 * in flight, and a coarse timer (10 ms: a closed loop has no due times to meet) fills up to the
 * level when it rises. When it falls, requests in flight finish and are not replaced, so no
 * response is cut off. Results per stage count the requests sent within the stage's span.
 */
export function connectionsAt(profile: LoadProfile, tS: number): number {
  return Math.max(0, Math.round(profile.levelAt(tS)));
}
