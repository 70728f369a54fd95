import { defineCommand } from "citty";
import { benchPlan, servedAt } from "../config/bench-plan.ts";
import { BENCH_OPTIONS, type BenchMode } from "../config/bench-options.ts";
import { withScript } from "../config/workload-plan.ts";
import { prepareOutputs } from "../report/output.ts";
import { executeBench } from "../schedule/bench.ts";
import { startServeChild } from "../server/child.ts";
import { argsOf, type Command } from "./args.ts";

/**
 * The bench modes differ only in their options and in the run they plan. The whole plan is built
 * and checked, output paths included, before anything starts; only then may `--serve` start its child.
 */
function mode(name: BenchMode, description: string, examples: string[]): Command {
  const command = defineCommand({
    meta: { name: `minibench bench ${name}`, description },
    args: argsOf(BENCH_OPTIONS, name),
    async run({ args }) {
      const planned = await withScript(benchPlan(name, args));
      if (!planned.serve) return executeBench(planned.plan);
      // The output paths too are checked before the child exists (executeBench checks them again, harmlessly).
      prepareOutputs(planned.plan);
      const server = await startServeChild();
      try {
        return await executeBench(servedAt(planned, server.url));
      } finally {
        await server.stop();
      }
    },
  });
  return { ...command, examples };
}

export default {
  ...defineCommand({
    meta: { name: "minibench bench", description: "Load-test an HTTP server: closed loop, open loop, sweep, preset or capacity" },
    subCommands: {
      closed: mode("closed", "Closed loop: C connections each send a request, wait for the response, send the next. Measures capacity under back-pressure.", [
        "minibench bench closed http://127.0.0.1:8000/ -c 50 -d 10s",
        "minibench bench closed --serve -n 20000 --json > result.json",
      ]),
      open: mode("open", "Open loop: requests sent at a fixed arrival rate whatever the server does; latency measured from the intended send time (coordinated omission corrected).", [
        "minibench bench open http://127.0.0.1:8000/ --rps 20000 -d 10",
        "minibench bench open URL --rps 5k --arrival poisson --report open.html",
      ]),
      sweep: mode("sweep", "A closed run per concurrency: the capacity curve, its best point and its knee.", [
        "minibench bench sweep http://127.0.0.1:8000/ --concurrencies 1,10,50,100",
        "minibench bench sweep URL --slo-p99 5 --csv sweep.csv",
      ]),
      preset: mode("preset", "Calibrate capacity (a closed sweep, or --calibrate capacity: open loop under the SLO), then open-loop runs at 50%, 90% and 110% of it.", [
        "minibench bench preset --profile smoke --serve --report report.html",
        "minibench bench preset URL --config bench_config.json --out-dir results",
      ]),
      capacity: mode(
        "capacity",
        "The highest open-loop rate the server sustains within an SLO: probes rates up geometrically until one fails, bisects to the tolerance, confirms with a longer run.",
        ["minibench bench capacity http://127.0.0.1:8000/ --slo-p99 10", "minibench bench capacity URL --slo-p99 50 --tolerance 2% --report cap.html"],
      ),
    },
  }),
  examples: ["minibench bench closed http://127.0.0.1:8000/ -c 50 -d 10s", "minibench bench open --serve --rps 10k -d 5"],
} satisfies Command;
