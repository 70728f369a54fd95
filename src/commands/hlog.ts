import { readFileSync } from "node:fs";
import { type ArgsDef, defineCommand } from "citty";
import type { Command } from "./args.ts";
import { UsageError } from "../errors.ts";
import { writeAtomically } from "../report/files.ts";
import { cutHlog } from "../report/hlog.ts";
import { hgrm } from "../stats/histogram.ts";
import { latencyMs } from "../stats/summary.ts";
import { formatCount, formatMs, parseDurationS } from "../units.ts";

const args = {
  log: { type: "positional", required: true, valueHint: "FILE.hlog", description: "An HdrHistogram interval log (written by bench --hlog)" },
  start: { type: "string", valueHint: "S", description: "Leave out intervals that start before this, seconds from the log's BaseTime (e.g. 10s)" },
  end: { type: "string", valueHint: "S", description: "Leave out intervals that end after this, seconds from the log's BaseTime" },
  tag: { type: "string", valueHint: "TAG", default: "latency", description: "Which histograms: latency, service or lag" },
  hgrm: { type: "string", valueHint: "PATH", description: "Write the percentile distribution (.hgrm) here instead of stdout" },
} as const satisfies ArgsDef;

const hlog = defineCommand({
  meta: { name: "minibench hlog", description: "Cut a time window out of an interval log: the percentile distribution of what it kept" },
  args,
  run({ args: flags }) {
    if (!flags.log) throw new UsageError("hlog: an interval log is needed: minibench hlog FILE.hlog [--start 10s] [--end 60s] [--tag latency] [--hgrm OUT]");
    const window = {
      startS: flags.start === undefined ? 0 : parseDurationS("--start", flags.start),
      endS: flags.end === undefined ? Number.POSITIVE_INFINITY : parseDurationS("--end", flags.end),
      tag: flags.tag,
    };
    if (window.endS <= window.startS) throw new UsageError(`--end ${flags.end} is not after --start ${flags.start ?? 0}`);
    const cut = cutLog(flags.log, window);
    if (cut.intervals === 0) {
      const why = cut.intervalsOfTag === 0 ? `it has no "${window.tag}" intervals (tags: ${cut.tags.join(", ") || "none"})` : `none of its ${cut.intervalsOfTag} "${window.tag}" intervals lies wholly in the window`;
      throw new UsageError(`${flags.log}: nothing to report: ${why}`);
    }
    const distribution = hgrm(cut.histogram);
    if (flags.hgrm) writeAtomically(flags.hgrm, distribution);
    else process.stdout.write(distribution);
    const latency = latencyMs(cut.histogram);
    process.stderr.write(
      `${cut.intervals} of ${cut.intervalsOfTag} "${window.tag}" intervals, ${cut.firstS.toFixed(3)}–${cut.lastS.toFixed(3)} s: ` +
        `${formatCount(cut.histogram.totalCount)} values, p50 ${formatMs(latency.p50)} ms, p99 ${formatMs(latency.p99)} ms, max ${formatMs(latency.max)} ms` +
        `${flags.hgrm ? ` → ${flags.hgrm}` : ""}\n`,
    );
  },
});

export default {
  ...hlog,
  examples: ["minibench hlog run.hlog --start 10s --end 60s", "minibench hlog run.hlog --tag service --hgrm service.hgrm"],
} satisfies Command;

function cutLog(path: string, window: Parameters<typeof cutHlog>[1]) {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UsageError(`${path}: cannot read the interval log (${code === "ENOENT" ? "no such file" : message})`);
  }
  try {
    return cutHlog(text, window);
  } catch (error) {
    throw new UsageError(`${path}: not an interval log: ${(error as Error).message}`);
  }
}
