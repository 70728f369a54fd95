import { type ArgsDef, defineCommand } from "citty";
import { loadConfig } from "../config/bench-config.ts";
import { closedRun, type Flags, loadOptions, openRun, outputPlan, presetRun, sweepRun, withDefaults } from "../config/bench-plan.ts";
import type { ModeRun } from "../config/plan.ts";
import { closedArgs, openArgs, outputArgs, presetArgs, sweepArgs, targetArgs } from "./bench-args.ts";
import { executeBench } from "../schedule/bench.ts";
import { UsageError } from "../errors.ts";
import { startServeChild } from "../server/child.ts";
import { givenFlags, repeatedValues } from "./flags.ts";

/**
 * The bench modes differ only in their own flags and in the run they plan; loading the config,
 * merging its defaults, and everything after planning is shared.
 */
function mode<const A extends ArgsDef>(name: string, description: string, own: A, plan: (flags: Flags, config: ReturnType<typeof loadConfig>) => ModeRun) {
  const args = { ...targetArgs, ...own, ...outputArgs };
  return defineCommand({
    meta: { name: `minibench bench ${name}`, description },
    args,
    async run({ args: parsed, rawArgs }) {
      const config = loadConfig(typeof parsed.config === "string" ? parsed.config : undefined);
      const { flags, headers } = withDefaults(parsed, givenFlags(args, rawArgs), repeatedValues(rawArgs, ["H", "header"]), config.defaults);
      if (flags.serve === true && (flags.target !== undefined || flags.url !== undefined)) {
        throw new UsageError("--serve starts its own target: give no URL with it");
      }
      const bench = (target?: string) =>
        executeBench({ load: loadOptions({ ...flags, ...(target ? { target } : {}) }, headers), run: plan(flags, config), output: outputPlan(flags) });
      if (flags.serve !== true) return bench();
      const server = await startServeChild();
      try {
        return await bench(server.url);
      } finally {
        await server.stop();
      }
    },
  });
}

export default defineCommand({
  meta: { name: "minibench bench", description: "Load-test an HTTP server" },
  subCommands: {
    closed: mode("closed", "Closed loop: capacity under back-pressure", closedArgs, closedRun),
    open: mode("open", "Open loop: latency at a given arrival rate, coordinated omission corrected", openArgs, openRun),
    sweep: mode("sweep", "A closed run per concurrency: the capacity curve, its best point and its knee", sweepArgs, sweepRun),
    preset: mode("preset", "Calibrate capacity with a sweep, then open-loop runs at 50/90/110% of it", presetArgs, presetRun),
  },
});
