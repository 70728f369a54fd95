/**
 * `bench capacity`'s search against a loopback server of known capacity μ (one request at a time,
 * a fixed service time): where it lands, in how many probes, and how well it repeats.
 *
 *   bun scripts/capacity-loopback.ts [--runs 3] [--service-ms 4] [--probe-s 3] [--confirm-s 5] [--slo-p99-ms 200]
 *
 * The search should report 0.9–1.0 μ in ≤ 10 probes, within ±5% across runs. On a machine where
 * other work starves this process the generator falls behind its own schedule; such probes are
 * marked inconclusive and run again, and the table shows them.
 */
import type { CapacityRun } from "../src/config/plan.ts";
import { parseArgs } from "node:util";
import { runCapacity } from "../src/schedule/capacity-run.ts";
import type { RunStep } from "../src/schedule/modes.ts";
import { runClosed, runOpen } from "../src/schedule/run.ts";
import { knownCapacityServer, loadOf } from "../tests/schedule/known-capacity-server.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "service-ms": { type: "string", default: "4" },
    "probe-s": { type: "string", default: "3" },
    "confirm-s": { type: "string", default: "5" },
    "slo-p99-ms": { type: "string", default: "200" },
  },
});
const server = knownCapacityServer(Number(values["service-ms"]));
const load = loadOf(server.port);
const runStep: RunStep = (step, phase) => (step.kind === "open" ? runOpen(load, step) : runClosed(load, step, phase));
const run: CapacityRun = {
  kind: "capacity",
  slo: { p99Ms: Number(values["slo-p99-ms"]), errorRate: 0 },
  tolerance: 0.05,
  probeS: Number(values["probe-s"]),
  confirmS: Number(values["confirm-s"]),
  maxProbes: 14,
  concurrency: 64,
  backlog: 100,
  arrival: "constant",
  warmupS: 0.5,
  estimate: { concurrency: 4, durationS: 1 },
};

const found: number[] = [];
for (let i = 1; i <= Number(values.runs); i++) {
  const { estimateRps, search } = await runCapacity(run, runStep, new AbortController().signal);
  console.log(`run ${i}: estimate ${estimateRps.toFixed(1)} req/s; ${search.conclusion}`);
  for (const step of search.probes) {
    const verdict = step.pass ? "pass" : step.reasons.join("; ");
    console.log(`  ${step.stage.padEnd(8)} ${String(step.rateRps).padStart(6)} req/s  achieved ${step.result.achievedRps.toFixed(1).padStart(7)}  p99 ${step.result.p99Ms.toFixed(2).padStart(8)} ms  ${verdict}`);
  }
  const capacityRps = search.capacityRps ?? 0;
  found.push(capacityRps);
  console.log(`  capacity ${capacityRps} req/s = ${(capacityRps / server.capacityRps).toFixed(3)} μ in ${search.probes.length} probes`);
}
server.stop();
const mean = found.reduce((a, b) => a + b, 0) / found.length;
const spreadPct = (100 * (Math.max(...found) - Math.min(...found))) / 2 / mean;
console.log(`μ = ${server.capacityRps} req/s; capacity ${found.map((f) => (f / server.capacityRps).toFixed(3)).join(", ")} μ; ±${spreadPct.toFixed(1)}% across runs`);
