import { readFileSync } from "node:fs";
import { buildTarget } from "../client/target.ts";
import { UsageError } from "../errors.ts";
import { parseCount, parseDurationS, parseMs } from "../units.ts";
import type { BenchConfig, ConfigDefaults } from "./bench-config.ts";
import { defaultBacklog, type ClosedRun, type LoadOptions, type OpenRun, type PresetRun, type SweepRun } from "./plan.ts";

/** Raw flag values as citty hands them over (strings and booleans), plus repeated `-H` values. */
export type Flags = Record<string, unknown>;

export const DEFAULT_URL = "http://127.0.0.1:8000/";

export interface OutputPlan {
  json: boolean;
  outPath: string | null;
  csvPath: string | null;
  hgrmPath: string | null;
  reportPath: string | null;
  progress: boolean;
  quiet: boolean;
  failP99Ms: number | null;
  failErrorRate: number | null;
  /** Epoch ms to wait for before starting, or null. */
  startAtMs: number | null;
  /** Each run is also recorded over time, in intervals this long, kept in the result document; null: not. */
  intervalS: number | null;
  /** `--hlog`: the HdrHistogram interval log. */
  hlogPath: string | null;
  /** `--intervals-json`: one JSON line per interval. */
  intervalsJsonPath: string | null;
  /** `--progress=lines`: one progress line per interval on stderr, terminal or not. */
  progressLines: boolean;
}

const text = (flags: Flags, name: string): string | undefined => {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
};

export function loadOptions(flags: Flags, headers: string[]): LoadOptions {
  const positional = text(flags, "target");
  const flagUrl = text(flags, "url");
  if (positional !== undefined && flagUrl !== undefined && positional !== flagUrl) {
    throw new UsageError(`two targets given: ${JSON.stringify(positional)} and --url ${JSON.stringify(flagUrl)}`);
  }
  const bodyText = text(flags, "body");
  const bodyFile = text(flags, "body-file");
  if (bodyText !== undefined && bodyFile !== undefined) throw new UsageError("--body and --body-file: give one of them");
  let body: Uint8Array | null = bodyText === undefined ? null : new TextEncoder().encode(bodyText);
  if (bodyFile !== undefined) {
    try {
      body = readFileSync(bodyFile);
    } catch (error) {
      throw new UsageError(`--body-file: cannot read ${bodyFile}: ${(error as Error).message}`);
    }
  }
  const keepAlive = flags.keepalive !== false;
  return {
    target: buildTarget({
      url: positional ?? flagUrl ?? DEFAULT_URL,
      method: text(flags, "method") ?? "GET",
      headers,
      body,
      keepAlive,
      insecure: flags.insecure === true,
    }),
    keepAlive,
    pipeline: parseCount("--pipeline", text(flags, "pipeline") ?? "1", { min: 1, max: 1024 }),
    timeoutMs: parseMs("--timeout", text(flags, "timeout") ?? "10000", { min: 1 }),
    threads: parseCount("--threads", text(flags, "threads") ?? "1", { min: 1, max: 256 }),
  };
}

/**
 * With neither `-n` nor `-d`, a closed run goes by time: a fixed count finishes in a fraction of a
 * second against a fast server and measures connection set-up instead of the server.
 */
export const DEFAULT_CLOSED_DURATION_S = "5";

export function closedRun(flags: Flags): ClosedRun {
  const requests = text(flags, "requests");
  const duration = text(flags, "duration") ?? (requests === undefined ? DEFAULT_CLOSED_DURATION_S : undefined);
  return {
    kind: "closed",
    concurrency: parseCount("--concurrency", text(flags, "concurrency") ?? "200"),
    requests: duration === undefined ? parseCount("--requests", requests ?? "") : null,
    durationS: duration === undefined ? null : parseDurationS("--duration", duration, { min: 0.001 }),
    warmup: parseCount("--warmup", text(flags, "warmup") ?? "500", { min: 0 }),
    repeat: parseCount("--repeat", text(flags, "repeat") ?? "3"),
  };
}

export function openRun(flags: Flags): OpenRun {
  const rps = text(flags, "rps");
  if (rps === undefined) throw new UsageError("--rps is required: the target arrival rate in requests per second");
  const concurrency = parseCount("--concurrency", text(flags, "concurrency") ?? "800");
  const arrival = text(flags, "arrival") ?? "constant";
  if (arrival !== "constant" && arrival !== "poisson") {
    throw new UsageError(`--arrival: expected constant or poisson, got ${JSON.stringify(arrival)}`);
  }
  const backlog = text(flags, "backlog");
  const rateRps = parseCount("--rps", rps);
  return {
    kind: "open",
    rateRps,
    durationS: parseDurationS("--duration", text(flags, "duration") ?? "15", { min: 0.001 }),
    concurrency,
    backlog: backlog === undefined ? defaultBacklog(rateRps, concurrency) : parseCount("--backlog", backlog, { min: 0 }),
    arrival,
    repeat: parseCount("--repeat", text(flags, "repeat") ?? "3"),
    warmupS: parseDurationS("--warmup-sec", text(flags, "warmup-sec") ?? "5"),
  };
}

/**
 * The file's `defaults` under the flags: a flag given on the command line wins, then the file,
 * then the built-in default. Returns new flags and the headers to send.
 */
export function withDefaults(flags: Flags, given: Set<string>, headers: string[], defaults: ConfigDefaults): { flags: Flags; headers: string[] } {
  const merged: Flags = { ...flags };
  for (const [key, value] of Object.entries(defaults)) {
    if (key === "header" || given.has(key)) continue;
    if (key === "url" && merged.target !== undefined) continue;
    merged[key] = typeof value === "number" ? String(value) : value;
  }
  return { flags: merged, headers: headers.length > 0 ? headers : (defaults.header ?? []) };
}

export function sweepRun(flags: Flags): SweepRun {
  const list = text(flags, "concurrencies") ?? "1,2,5,10,20,50,100,200";
  const concurrencies = list.split(",").map((item) => parseCount("--concurrencies", item.trim()));
  const slo = text(flags, "slo-p99");
  return {
    kind: "sweep",
    concurrencies,
    requests: parseCount("--requests", text(flags, "requests") ?? "3000"),
    minDurationS: parseDurationS("--min-duration", text(flags, "min-duration") ?? "1"),
    warmup: parseCount("--warmup", text(flags, "warmup") ?? "300", { min: 0 }),
    repeat: parseCount("--repeat", text(flags, "repeat") ?? "3"),
    sloP99Ms: slo === undefined ? null : parseMs("--slo-p99", slo, { min: 0.001 }),
  };
}

export function presetRun(flags: Flags, config: BenchConfig): PresetRun {
  const name = text(flags, "profile") ?? "standard";
  const profile = config.presets[name];
  if (profile === undefined) {
    throw new UsageError(`--profile: no profile ${JSON.stringify(name)} in ${config.source} (it has ${Object.keys(config.presets).join(", ")})`);
  }
  return { kind: "preset", profileName: name, profile, outDir: text(flags, "out-dir") ?? "." };
}

export function outputPlan(flags: Flags): OutputPlan {
  const failP99 = text(flags, "fail-p99");
  const failErrorRate = text(flags, "fail-error-rate");
  const startAt = text(flags, "start-at");
  let failErrorRateValue: number | null = null;
  if (failErrorRate !== undefined) {
    failErrorRateValue = Number(failErrorRate);
    if (failErrorRate.trim() === "" || !(failErrorRateValue >= 0 && failErrorRateValue <= 1)) {
      throw new UsageError(`--fail-error-rate: expected a fraction from 0 to 1, got ${JSON.stringify(failErrorRate)}`);
    }
  }
  return {
    json: flags.json === true,
    outPath: text(flags, "out") ?? null,
    csvPath: text(flags, "csv") ?? null,
    hgrmPath: text(flags, "hgrm") ?? null,
    reportPath: text(flags, "report") ?? null,
    progress: flags.progress !== false && flags.quiet !== true,
    quiet: flags.quiet === true,
    failP99Ms: failP99 === undefined ? null : parseMs("--fail-p99", failP99),
    failErrorRate: failErrorRateValue,
    startAtMs: startAt === undefined ? null : parseStartAt(startAt),
    intervalS: null,
    hlogPath: null,
    intervalsJsonPath: null,
    progressLines: false,
  };
}

function parseStartAt(value: string): number {
  const epochMs = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(epochMs)) {
    throw new UsageError(`--start-at: expected an ISO-8601 time or epoch milliseconds, got ${JSON.stringify(value)}`);
  }
  return epochMs;
}
