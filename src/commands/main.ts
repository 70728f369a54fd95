import { defineCommand } from "citty";
import { VERSION } from "../version.ts";
import bench from "./bench.ts";
import compare from "./compare.ts";
import hlog from "./hlog.ts";
import merge from "./merge.ts";
import serve from "./serve.ts";
import report from "./report.ts";

export const main = defineCommand({
  meta: { name: "minibench", version: VERSION, description: "An honest HTTP/1.1 load generator and a tiny, hard-to-break server" },
  subCommands: { serve, bench, report, compare, merge, hlog },
});
