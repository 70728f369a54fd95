/**
 * The HdrHistogram interval log (`.hlog`, format 1.3): the file HistogramLogProcessor,
 * HdrHistogramVisualizer and hdr-histogram-js's HistogramLogReader read. One line per interval
 * and tag (`latency`; open loops also `service` and `lag`), timestamps in seconds from BaseTime,
 * histograms in microseconds.
 *
 * The header is written here, not with hdr-histogram-js's HistogramLogWriter: that one writes no
 * BaseTime line and a stray blank line after StartTime.
 */
import { decodeHistogram, mergeHistograms, type Histogram } from "../stats/histogram.ts";
import { encodedMaxUs } from "../stats/interval-counts.ts";
import type { Interval } from "../stats/result.ts";

/** Interval_Max is written in milliseconds: the histograms hold microseconds. */
const MAX_VALUE_UNIT_RATIO = 1000;

export const HLOG_TAGS = ["latency", "service", "lag"] as const;
export type HlogTag = (typeof HLOG_TAGS)[number];

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The header, for a log whose timestamps count from `baseTimeMs` (epoch ms), written before any interval. */
export function hlogHeader(baseTimeMs: number): string {
  return [
    "#[Histogram log format version 1.3]",
    `#[StartTime: ${seconds(baseTimeMs)} (seconds since epoch), ${new Date(baseTimeMs).toISOString()}]`,
    `#[BaseTime: ${seconds(baseTimeMs)} (seconds since epoch)]`,
    `#[Written by minibench: values in microseconds; Interval_Max in milliseconds (max value unit ratio ${MAX_VALUE_UNIT_RATIO})]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    "",
  ].join("\n");
}

/** A comment naming the run whose intervals follow (readers skip `#` lines). */
export function hlogRunComment(description: string): string {
  return `#[Run: ${description.replace(/[\r\n\]]/g, " ")}]\n`;
}

/** The lines of one interval of a run that started at `runStartedAtMs`, one per tag it has. */
export function hlogLines(interval: Interval, runStartedAtMs: number, baseTimeMs: number): string {
  const startMs = runStartedAtMs + interval.startS * 1000 - baseTimeMs;
  const tagged: [HlogTag, string | undefined][] = [
    ["latency", interval.histogram],
    ["service", interval.serviceHistogram],
    ["lag", interval.lagHistogram],
  ];
  return tagged
    .filter((entry): entry is [HlogTag, string] => entry[1] !== undefined)
    .map(([tag, encoded]) => {
      const maxMs = encodedMaxUs(encoded) / MAX_VALUE_UNIT_RATIO;
      return `Tag=${tag},${seconds(startMs)},${interval.durationS.toFixed(3)},${maxMs.toFixed(3)},${encoded}\n`;
    })
    .join("");
}

export interface HlogWindow {
  /** Seconds from BaseTime; intervals that start before it are left out. */
  startS: number;
  /** Seconds from BaseTime; intervals that end after it are left out. */
  endS: number;
  tag: string;
}

export interface HlogCut {
  histogram: Histogram;
  /** Interval lines of the tag inside the window, and all interval lines of the tag. */
  intervals: number;
  intervalsOfTag: number;
  /** The span the chosen intervals cover, seconds from BaseTime (NaN when none). */
  firstS: number;
  lastS: number;
  /** Every tag the log has ("" for untagged lines), in order of appearance. */
  tags: string[];
}

/**
 * The exact sum of the intervals of one tag that lie wholly inside a time window: what a user
 * keeps after leaving out a warm-up. Untagged lines (other tools write them) are taken when `tag`
 * is empty. Throws, naming the line, on a line that is not a log line.
 */
export function cutHlog(text: string, window: HlogWindow): HlogCut {
  const chosen: Histogram[] = [];
  let intervalsOfTag = 0;
  let firstS = Number.NaN;
  let lastS = Number.NaN;
  const tags = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line === "" || line.startsWith("#") || line.startsWith('"')) return;
    const fields = line.split(",");
    const tag = fields[0]!.startsWith("Tag=") ? fields.shift()!.slice("Tag=".length) : "";
    const [start, length, , encoded] = fields;
    const startS = Number(start);
    const lengthS = Number(length);
    if (fields.length !== 4 || !Number.isFinite(startS) || !Number.isFinite(lengthS)) {
      throw new Error(`line ${index + 1}: not an interval line (expected [Tag=…,]start,length,max,histogram)`);
    }
    tags.add(tag);
    if (tag !== window.tag) return;
    intervalsOfTag++;
    // A tiny allowance: timestamps are written with millisecond precision.
    if (startS < window.startS - 0.0005 || startS + lengthS > window.endS + 0.0005) return;
    try {
      chosen.push(decodeHistogram(encoded!));
    } catch {
      throw new Error(`line ${index + 1}: the histogram does not decode`);
    }
    if (!(firstS <= startS)) firstS = startS;
    if (!(lastS >= startS + lengthS)) lastS = startS + lengthS;
  });
  return { histogram: mergeHistograms(chosen), intervals: chosen.length, intervalsOfTag, firstS, lastS, tags: [...tags] };
}
