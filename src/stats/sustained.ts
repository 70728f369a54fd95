import type { RunResult } from "./result.ts";
import { formatCount, formatLatency, formatPercent } from "../units.ts";

/**
 * Did an open-loop run deliver the rate it was asked for, and if not, what stopped it? Judged from
 * what the run measured alone: the achieved rate, the requests never sent, the service time, the
 * errors and the generator's own lateness.
 */

/**
 * Achieved may fall short of the target by this much and still count as sustained: responses to
 * the window's last requests arrive after it closes. Poisson arrivals add their own noise, three
 * standard deviations of the scheduled count (`3 / √n`), so a low rate is not judged on chance.
 */
export const ACHIEVED_SHORTFALL = 0.03;
/** More than this share of scheduled requests never sent, and the rate was not sustained. */
export const DROPPED_SHARE = 0.001;
/** Sent this late (p99) although a connection was free: the generator's own CPU could not keep up. */
export const LAG_LIMIT_MS = 5;
/** Service time p50 this many times its minimum: requests queue inside the server. */
export const QUEUEING_FACTOR = 3;
/** Errors beyond this share of requests are the server failing. */
export const ERROR_SHARE = 0.01;

/** How strictly "sustained" is judged: one rule, two strictnesses. */
export interface SustainedRule {
  /**
   * What the achieved rate is held against: the target (allowing for the noise of a random count),
   * or the rate actually offered, the requests scheduled / the duration, which Poisson arrivals
   * scatter around the target.
   */
  against: "target" | "offered";
  /** The share of it that achieved may fall short by. */
  shortfall: number;
  /** More than this share of scheduled requests never sent, and the rate was not sustained. */
  droppedShare: number;
}

/** A run, a stage, a preset level: a tolerance for the responses still in flight when the window closes. */
export const RUN_RULE: SustainedRule = { against: "target", shortfall: ACHIEVED_SHORTFALL, droppedShare: DROPPED_SHARE };
/**
 * A capacity probe: at least 99% of the rate offered, and not one request dropped. Stricter than a
 * run's, since the search compares rates a few percent apart: a rate held "within 3%" would pass
 * a probe just past the server's capacity.
 */
export const CAPACITY_RULE: SustainedRule = { against: "offered", shortfall: 0.01, droppedShare: 0 };

/** The counts the rule judges: the rates, and the requests scheduled (sent + dropped). */
export interface RateCounts {
  targetRps: number;
  offeredRps: number;
  achievedRps: number;
  scheduled: number;
  dropped: number;
}

/** What fell short of `rule`, in words; empty when the rate was sustained. */
export function rateShortfall(counts: RateCounts, rule: SustainedRule): string[] {
  const { achievedRps, scheduled, dropped } = counts;
  const askedRps = rule.against === "target" ? counts.targetRps : counts.offeredRps;
  const noise = rule.against === "target" && scheduled > 0 ? 3 / Math.sqrt(scheduled) : 0;
  const droppedShare = scheduled > 0 ? dropped / scheduled : 0;
  const shortfall: string[] = [];
  if (askedRps > 0 && achievedRps < askedRps * (1 - rule.shortfall - noise)) {
    shortfall.push(
      rule.against === "target"
        ? `achieved ${formatCount(achievedRps)} req/s (${formatPercent(achievedRps / askedRps)} of the target)`
        : `achieved ${formatCount(achievedRps)} of ${formatCount(askedRps)} req/s offered`,
    );
  }
  if (droppedShare > rule.droppedShare) {
    shortfall.push(rule.droppedShare === 0 ? `${formatCount(dropped)} dropped` : `${formatPercent(droppedShare)} of scheduled requests were never sent`);
  }
  return shortfall;
}

export type Limit = "server" | "generator" | "server and generator" | "unknown";

export interface LimitFinding {
  by: Limit;
  /** The measurements that say so, each starting with "server:" or "generator:". */
  evidence: string[];
}

export interface OpenVerdict {
  sustained: boolean;
  /** Why not, in plain words, first: "could not sustain 157,434 req/s", then what fell short. Empty when sustained. */
  shortfall: string[];
  /** Unsustained only: who was the limit. */
  limit?: LimitFinding;
}

export type OpenCounts = Pick<RunResult, "targetRps" | "achievedRps" | "sent" | "dropped" | "requests" | "errors" | "serviceTimeMs" | "schedulerLagMs"> & {
  /** The window the rates are over; needed by a rule judged against the rate offered. */
  durationS?: number;
};

export function openVerdict(run: OpenCounts, rule: SustainedRule = RUN_RULE): OpenVerdict {
  const target = run.targetRps ?? 0;
  const scheduled = run.sent + run.dropped;
  const offeredRps = run.durationS ? scheduled / run.durationS : target;
  const shortfall = rateShortfall({ targetRps: target, offeredRps, achievedRps: run.achievedRps ?? 0, scheduled, dropped: run.dropped }, rule);
  if (shortfall.length === 0) return { sustained: true, shortfall };
  return { sustained: false, shortfall: [`could not sustain ${formatCount(target)} req/s`, ...shortfall], limit: limitOf(run) };
}

function limitOf(run: OpenCounts): LimitFinding {
  const server: string[] = [];
  const generator: string[] = [];
  // An empty histogram reads as all zeros: no response at all is no evidence of a flat service time.
  const service = run.serviceTimeMs !== null && run.serviceTimeMs.max > 0 ? run.serviceTimeMs : null;
  const queueing = service !== null && service.p50 >= QUEUEING_FACTOR * Math.max(service.min, 0.001);
  if (service !== null && queueing) server.push(`service time rose to p50 ${formatLatency(service.p50)} from a fastest ${formatLatency(service.min)}: requests queued in the server`);
  if ((run.achievedRps ?? 0) === 0 && run.sent > 0) server.push(`no response to a request of the window arrived within it`);
  const errors = Object.values(run.errors).reduce((sum, n) => sum + n, 0);
  const errorShare = run.requests > 0 ? errors / run.requests : 0;
  if (errorShare > ERROR_SHARE) server.push(`${formatPercent(errorShare)} of requests failed`);
  const lag = run.schedulerLagMs;
  if (lag && lag.p99 > LAG_LIMIT_MS) generator.push(`its own CPU: requests with a free connection were sent up to ${formatLatency(lag.p99)} late (scheduler lag p99)`);
  if (run.dropped > 0 && service !== null && !queueing) {
    generator.push(`its in-flight cap: every connection was busy and the backlog full while the service time stayed flat (p50 ${formatLatency(service.p50)}); raise --concurrency`);
  }
  const by: Limit = server.length > 0 && generator.length > 0 ? "server and generator" : server.length > 0 ? "server" : generator.length > 0 ? "generator" : "unknown";
  return { by, evidence: [...server.map((e) => `server: ${e}`), ...generator.map((e) => `generator: ${e}`)] };
}
