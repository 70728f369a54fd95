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

export type OpenCounts = Pick<RunResult, "targetRps" | "achievedRps" | "sent" | "dropped" | "requests" | "errors" | "serviceTimeMs" | "schedulerLagMs">;

export function openVerdict(run: OpenCounts): OpenVerdict {
  const target = run.targetRps ?? 0;
  const achieved = run.achievedRps ?? 0;
  const scheduled = run.sent + run.dropped;
  const droppedShare = scheduled > 0 ? run.dropped / scheduled : 0;
  const allowedShortfall = ACHIEVED_SHORTFALL + (scheduled > 0 ? 3 / Math.sqrt(scheduled) : 0);
  const shortfall: string[] = [];
  if (target > 0 && achieved < target * (1 - allowedShortfall)) shortfall.push(`achieved ${formatCount(achieved)} req/s (${formatPercent(achieved / target)} of the target)`);
  if (droppedShare > DROPPED_SHARE) shortfall.push(`${formatPercent(droppedShare)} of scheduled requests were never sent`);
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
