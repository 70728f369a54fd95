import { defineCommand } from "citty";
import type { Command } from "./args.ts";
import { VERSION } from "../version.ts";
import bench from "./bench.ts";
import compare from "./compare.ts";
import hlog from "./hlog.ts";
import merge from "./merge.ts";
import serve from "./serve.ts";
import report from "./report.ts";

export const main: Command = {
  ...defineCommand({
    meta: { name: "minibench", version: VERSION, description: "An honest HTTP/1.1 load generator and a tiny, hard-to-break server" },
    subCommands: { serve, bench, report, compare, merge, hlog },
  }),
  examples: ["minibench serve --port 8000", "minibench bench closed http://127.0.0.1:8000/ -c 50 -d 10s", "minibench bench preset --profile smoke --serve --report report.html"],
};
