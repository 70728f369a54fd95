import { buildTarget, type Target } from "../client/target.ts";
import { UsageError } from "../errors.ts";
import { ResponseChecks, type CheckFlags } from "../workload/checks.ts";
import { originText } from "../workload/pool.ts";
import { loadWorkload, originOf, type WorkloadPlan } from "../workload/workload.ts";
import type { BenchMode, BenchValues } from "./bench-options.ts";
import type { GivenFlags } from "./bench-plan.ts";

/**
 * The workload part of a bench plan: the targets file read and encoded (`--targets`), the target
 * its origin makes, and the response checks (`--expect-*`), all validated here, once.
 */

type Common = BenchValues<BenchMode>;

export interface PlannedWorkload {
  workload: WorkloadPlan | null;
  checks: CheckFlags | null;
  /** With a workload, the origin of its targets: where connections go. */
  target: Target | null;
}

export function workloadPlan(values: Common, given: GivenFlags, defaults: { method: string; headers: string[]; body: Uint8Array | null }): PlannedWorkload {
  const checks = checkFlags(values);
  if (values.targets === null) return { workload: null, checks, target: null };
  if (given.target !== undefined || given.url !== undefined) {
    throw new UsageError("--targets: the targets file names the URLs; give no URL with it");
  }
  if (values.serve) throw new UsageError("--targets and --serve: the targets file names where requests go; give one of them");
  const workload = loadWorkload({
    path: values.targets,
    format: values.targetsFormat,
    order: values.order,
    // Any seed repeats a run; without one each run has its own.
    seed: values.seed ?? Math.floor(Math.random() * 2 ** 32),
    maxPoolBytes: values.maxPool,
    keepAlive: values.keepalive,
    defaults: { method: defaults.method.toUpperCase(), headers: defaults.headers.map(headerPair), body: defaults.body },
  });
  const target = buildTarget({ url: `${originText(originOf(workload))}/`, method: "GET", headers: [], body: null, keepAlive: values.keepalive, insecure: values.insecure });
  return { workload, checks, target };
}

function checkFlags(values: Common): CheckFlags | null {
  const flags: CheckFlags = { status: values.expectStatus, body: values.expectBody, headers: values.expectHeader ?? [] };
  // Built here only to be refused here: each thread builds its own.
  return new ResponseChecks(flags).any ? flags : null;
}

function headerPair(header: string): [string, string] {
  const colon = header.indexOf(":");
  return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()];
}
