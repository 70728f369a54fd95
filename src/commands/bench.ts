import { defineCommand } from "citty";
import { notYet } from "./not-yet.ts";

export default defineCommand({
  meta: { name: "minibench bench", description: "Load-test an HTTP server" },
  subCommands: {
    closed: notYet("minibench bench closed", "Closed loop: capacity under back-pressure"),
    open: notYet("minibench bench open", "Open loop: latency at a given arrival rate"),
    sweep: notYet("minibench bench sweep", "A closed run per concurrency: find the knee"),
    preset: notYet("minibench bench preset", "Calibrate, then open-loop runs at 50/90/110% of capacity"),
  },
});
