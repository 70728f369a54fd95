import { defineCommand } from "citty";
import { closedRun, loadOptions, openRun, outputPlan } from "../config/bench-plan.ts";
import { closedArgs, openArgs, outputArgs, targetArgs } from "./bench-args.ts";
import { executeBench } from "./execute-bench.ts";
import { repeatedValues } from "./flags.ts";
import { notYet } from "./not-yet.ts";

const headers = (rawArgs: string[]) => repeatedValues(rawArgs, ["H", "header"]);

const closed = defineCommand({
  meta: { name: "minibench bench closed", description: "Closed loop: capacity under back-pressure" },
  args: { ...targetArgs, ...closedArgs, ...outputArgs },
  run: ({ args, rawArgs }) =>
    executeBench({ load: loadOptions(args, headers(rawArgs)), run: closedRun(args), output: outputPlan(args) }),
});

const open = defineCommand({
  meta: { name: "minibench bench open", description: "Open loop: latency at a given arrival rate, coordinated omission corrected" },
  args: { ...targetArgs, ...openArgs, ...outputArgs },
  run: ({ args, rawArgs }) =>
    executeBench({ load: loadOptions(args, headers(rawArgs)), run: openRun(args), output: outputPlan(args) }),
});

export default defineCommand({
  meta: { name: "minibench bench", description: "Load-test an HTTP server" },
  subCommands: {
    closed,
    open,
    sweep: notYet("minibench bench sweep", "A closed run per concurrency: find the knee"),
    preset: notYet("minibench bench preset", "Calibrate, then open-loop runs at 50/90/110% of capacity"),
  },
});
