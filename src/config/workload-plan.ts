import { buildTarget, type Target } from "../client/target.ts";
import { UsageError } from "../errors.ts";
import { ResponseChecks, type CheckFlags } from "../workload/checks.ts";
import { originText } from "../workload/pool.ts";
import { loadWorkload, originOf, type WorkloadPlan } from "../workload/workload.ts";
import type { BenchMode, BenchValues } from "./bench-options.ts";
import type { GivenFlags, PlannedBench } from "./bench-plan.ts";
import { loadScriptWorkload, type ScriptWorkloadFlags } from "../workload/script.ts";

/**
 * The workload part of a bench plan: the targets file read and encoded (`--targets`), the target
 * its origin makes, and the response checks (`--expect-*`), all validated here, once.
 */

type Common = BenchValues<BenchMode>;

export interface PlannedWorkload {
  workload: WorkloadPlan | null;
  /** `--script`: the module to load, whose targets() become `workload` (see `withScript`). */
  script: ScriptWorkloadFlags | null;
  checks: CheckFlags | null;
  /** With a workload, the origin of its targets: where connections go. */
  target: Target | null;
}

export function workloadPlan(values: Common, given: GivenFlags, defaults: { method: string; headers: string[]; body: Uint8Array | null }): PlannedWorkload {
  const checks = checkFlags(values);
  if (values.targets === null && values.script === null) return { workload: null, script: null, checks, target: null };
  const flag = values.script !== null ? "--script" : "--targets";
  if (values.targets !== null && values.script !== null) throw new UsageError("--targets and --script: the requests come from one of them; give one");
  if (given.target !== undefined || given.url !== undefined) {
    throw new UsageError(`${flag}: the ${flag === "--script" ? "script" : "targets file"} names the URLs; give no URL with it`);
  }
  if (values.serve) throw new UsageError(`${flag} and --serve: the ${flag === "--script" ? "script" : "targets file"} names where requests go; give one of them`);
  const flags = {
    order: values.order,
    // Any seed repeats a run; without one each run has its own.
    seed: values.seed ?? Math.floor(Math.random() * 2 ** 32),
    maxPoolBytes: values.maxPool,
    keepAlive: values.keepalive,
    defaults: { method: defaults.method.toUpperCase(), headers: defaults.headers.map(headerPair), body: defaults.body },
  };
  // The script's targets() may be async: `withScript` calls it once the rest of the plan is checked.
  if (values.script !== null) return { workload: null, script: { path: values.script, ...flags }, checks, target: null };
  const workload = loadWorkload({ path: values.targets!, format: values.targetsFormat, ...flags });
  return { workload, script: null, checks, target: originTarget(workload, values.keepalive, values.insecure) };
}

/** Connections go to the one origin of the workload's targets. */
function originTarget(workload: WorkloadPlan, keepAlive: boolean, insecure: boolean): Target {
  return buildTarget({ url: `${originText(originOf(workload))}/`, method: "GET", headers: [], body: null, keepAlive, insecure });
}

/** The plan with a `--script` workload: its targets() called, encoded into the pool, its origin the target. */
export async function withScript(planned: PlannedBench): Promise<PlannedBench> {
  if (planned.script === null) return planned;
  const workload = await loadScriptWorkload(planned.script);
  const load = { ...planned.plan.load, workload, target: originTarget(workload, planned.request.keepAlive, planned.request.insecure) };
  return { ...planned, plan: { ...planned.plan, load } };
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
