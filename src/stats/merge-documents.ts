/**
 * Merging the result documents of load generators that ran at the same time against one target
 * (several machines started with one `--start-at`) into the document they make together: each run
 * merged with its counterparts exactly (`mergeConcurrentRuns`: histograms added, counts and rates
 * summed), the summary recomputed from the merged runs. Pure: documents in, a document and the
 * reasons to doubt it out.
 */
import { resultDocument, type PresetFindings, type ResultDocument } from "./document.ts";
import { sweepFindings } from "./knee.ts";
import { mergeConcurrentRuns } from "./merge.ts";
import type { RunResult } from "./result.ts";
import { summarizeRepeats } from "./summary.ts";

export interface NamedDocument {
  /** How warnings name the document: its file name. */
  name: string;
  document: ResultDocument;
}

export type MergeOutcome = { ok: true; document: ResultDocument; warnings: string[] } | { ok: false; problem: string };

/**
 * Options that are each generator's share of the load, expected to differ between generators and
 * summed in the merged document. Every other option must be the same everywhere.
 */
const PER_GENERATOR_OPTIONS = ["rateRps", "concurrency", "backlog", "threads", "concurrencies", "generators"] as const;
const SUMMED_OPTIONS = ["rateRps", "concurrency", "backlog", "threads"] as const;

export function mergeDocuments(inputs: readonly NamedDocument[]): MergeOutcome {
  if (inputs.length < 2) return { ok: false, problem: "merge needs at least two result documents" };
  const matched = matchRuns(inputs);
  if (!matched.some((runs) => runs.length > 1)) {
    return { ok: false, problem: "nothing to merge: no run (phase, concurrency, rate, repeat) appears in more than one document" };
  }
  const warnings = [...sameExperimentWarnings(inputs), ...timeWarnings(inputs), ...missingRunWarnings(inputs, matched)];

  const first = inputs[0]!.document;
  const runs = matched.map((group) => mergeConcurrentRuns(group.map((entry) => entry.run), true));
  const groups = summarizeRepeats(runs);
  const documents = inputs.map((input) => input.document);
  const sweep = documents.some((d) => d.summary.sweep) ? sweepFindings(groups, first.summary.sweep?.slo?.p99Ms ?? null) : undefined;
  const preset = mergedPreset(documents);
  const startedAt = new Date(Math.min(...documents.map((d) => Date.parse(d.startedAt))));
  const interrupted = documents.some((d) => d.summary.interrupted === true);
  const document = resultDocument(first.mode, first.url, startedAt, mergedOptions(documents), runs, groups, interrupted, {
    ...(sweep ? { sweep } : {}),
    ...(preset ? { preset } : {}),
  });
  return { ok: true, document, warnings };
}

// ---------------------------------------------------------------------------------------------
// Which runs belong together

interface Entry {
  input: number;
  run: RunResult;
}

const runKey = (run: RunResult) => `${run.phase}|${run.concurrency}|${run.targetRps}|${run.repeat}`;
const stepKey = (run: RunResult) => `${run.phase}|${run.repeat}`;

/**
 * Groups of runs measured together, in the order the first document ran them. Runs match by phase,
 * concurrency, target rate and repeat. When the generators split the load unevenly (3000 req/s over
 * 7 machines) those differ, and runs match by position instead — provided every document ran the
 * same sequence of phases and repeats.
 */
function matchRuns(inputs: readonly NamedDocument[]): Entry[][] {
  const sequence = (input: NamedDocument, key: (run: RunResult) => string) => input.document.runs.map(key).join("\n");
  const sameRuns = inputs.every((input) => sequence(input, runKey) === sequence(inputs[0]!, runKey));
  const sameSteps = inputs.every((input) => sequence(input, stepKey) === sequence(inputs[0]!, stepKey));
  if (!sameRuns && sameSteps) {
    return inputs[0]!.document.runs.map((_, i) => inputs.map((input, index) => ({ input: index, run: input.document.runs[i]! })));
  }
  const byKey = new Map<string, Entry[]>();
  inputs.forEach((input, index) => {
    for (const run of input.document.runs) {
      const group = byKey.get(runKey(run));
      if (group) group.push({ input: index, run });
      else byKey.set(runKey(run), [{ input: index, run }]);
    }
  });
  return [...byKey.values()];
}

function missingRunWarnings(inputs: readonly NamedDocument[], matched: Entry[][]): string[] {
  return matched
    .filter((group) => group.length < inputs.length)
    .map((group) => {
      const run = group[0]!.run;
      const missing = inputs.filter((_, index) => !group.some((entry) => entry.input === index)).map((input) => input.name);
      return `${describeRun(run)} is missing from ${missing.join(", ")}: merged from the other ${group.length} document${group.length === 1 ? "" : "s"} only`;
    });
}

function describeRun(run: RunResult): string {
  const point = run.targetRps === null ? `c=${run.concurrency}` : `${run.targetRps} req/s`;
  return `${run.phase} ${point} repeat ${run.repeat}`;
}

// ---------------------------------------------------------------------------------------------
// Reasons to doubt the merge

/** The documents must describe one experiment: same target, same mode, same options but the load share. */
function sameExperimentWarnings(inputs: readonly NamedDocument[]): string[] {
  const [first, ...others] = inputs;
  const warnings: string[] = [];
  for (const other of others) {
    const a = first!.document;
    const b = other.document;
    if (a.mode !== b.mode) warnings.push(`${other.name} is a ${b.mode} run, ${first!.name} a ${a.mode} run`);
    if (a.url !== b.url) warnings.push(`${other.name} measured ${b.url}, ${first!.name} ${a.url}: were they load on the same target?`);
    const targets = targetDifference(a, b);
    if (targets) warnings.push(`${other.name} ${targets.what} than ${first!.name} (${targets.detail}): were they running the same workload?`);
    const differing = differingOptions(a.options, b.options);
    if (differing.length > 0) {
      const detail = differing.map((key) => `${key} ${JSON.stringify(a.options[key])} vs ${JSON.stringify(b.options[key])}`).join(", ");
      warnings.push(`${other.name} ran with different options than ${first!.name}: ${detail}`);
    }
  }
  return warnings;
}

/**
 * How the requests of `b` differ from `a`'s: another generator (a fixed request, a request pool,
 * a script's requests), or a pool with other targets. Per-target rows merge by name, so a target
 * one generator did not have is merged from the others alone. Null when they agree.
 */
function targetDifference(a: ResultDocument, b: ResultDocument): { what: string; detail: string } | null {
  const generator = (document: ResultDocument) => document.runs[0]?.generator ?? "fixed";
  if (generator(a) !== generator(b)) return { what: "made its requests otherwise", detail: `${generator(b)} vs ${generator(a)}` };
  const names = (document: ResultDocument) => new Set(document.runs.flatMap((run) => (run.byTarget ?? []).map((target) => target.name)));
  const [mine, theirs] = [names(a), names(b)];
  const extra = [...theirs].filter((name) => !mine.has(name));
  const missing = [...mine].filter((name) => !theirs.has(name));
  if (extra.length === 0 && missing.length === 0) return null;
  const list = (items: string[]) => `${items.slice(0, 3).join(", ")}${items.length > 3 ? ` and ${items.length - 3} more` : ""}`;
  return { what: "sent to other targets", detail: [...(extra.length > 0 ? [`also ${list(extra)}`] : []), ...(missing.length > 0 ? [`not ${list(missing)}`] : [])].join("; ") };
}

function differingOptions(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !(PER_GENERATOR_OPTIONS as readonly string[]).includes(key));
  return keys.filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/**
 * Rates add up only over time the generators shared. A document spans `startedAt` plus the
 * measured time of its runs (warm-ups are not recorded, so this is the shortest it can be): if the
 * spans have no moment in common, the merged rates never hit the target at once.
 */
function timeWarnings(inputs: readonly NamedDocument[]): string[] {
  const spans = inputs.map((input) => {
    const startMs = Date.parse(input.document.startedAt);
    const measuredMs = input.document.runs.reduce((sum, run) => sum + run.durationS * 1000, 0);
    return { name: input.name, startMs, endMs: startMs + measuredMs, measuredMs };
  });
  const latestStart = spans.reduce((a, b) => (b.startMs > a.startMs ? b : a));
  const earliestStart = spans.reduce((a, b) => (b.startMs < a.startMs ? b : a));
  const earliestEnd = spans.reduce((a, b) => (b.endMs < a.endMs ? b : a));
  const apartS = ((latestStart.startMs - earliestStart.startMs) / 1000).toFixed(3);
  if (latestStart.startMs >= earliestEnd.endMs) {
    return [
      `the runs did not overlap in time: ${latestStart.name} started ${apartS} s after ${earliestStart.name}, after ${earliestEnd.name} had finished; ` +
        `their rates never added up at the target (start the generators with one --start-at)`,
    ];
  }
  // Overlapping, but a late starter ran part of its load alone: worth knowing past a tenth of the shortest run.
  const shortestMs = Math.min(...spans.map((span) => span.measuredMs));
  if (latestStart.startMs - earliestStart.startMs > 0.1 * shortestMs) {
    return [`${latestStart.name} started ${apartS} s after ${earliestStart.name}, over a tenth of the shortest run: start the generators with one --start-at`];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// The merged document's description

/** The first document's options, with the per-generator shares summed and the number of generators. */
function mergedOptions(documents: readonly ResultDocument[]): Record<string, unknown> {
  const options: Record<string, unknown> = { ...documents[0]!.options };
  for (const key of SUMMED_OPTIONS) {
    const values = documents.map((d) => d.options[key]);
    if (values.every((value) => typeof value === "number")) options[key] = (values as number[]).reduce((a, b) => a + b, 0);
  }
  options.generators = documents.reduce((sum, d) => sum + (typeof d.options.generators === "number" ? d.options.generators : 1), 0);
  return options;
}

/** Each generator calibrated its own share: the capacity and the level rates add up. */
function mergedPreset(documents: readonly ResultDocument[]): PresetFindings | undefined {
  const presets = documents.map((d) => d.summary.preset);
  if (!presets.every((preset) => preset !== undefined)) return undefined;
  const first = presets[0]!;
  return {
    profile: first.profile,
    capacityRps: presets.reduce((sum, p) => sum + p!.capacityRps, 0),
    levels: first.levels.map((level, i) => ({ fraction: level.fraction, targetRps: presets.reduce((sum, p) => sum + (p!.levels[i]?.targetRps ?? 0), 0) })),
  };
}
