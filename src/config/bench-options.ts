import { formatStages, readStages, type Stage } from "../schedule/stages.ts";
import { CAPACITY_DEFAULTS } from "../schedule/capacity.ts";
import { DEFAULT_BACKLOG_S } from "./plan.ts";
import { DEFAULT_MAX_POOL_BYTES } from "../workload/pool.ts";
import { ORDERS } from "../workload/order.ts";
import { TARGET_FORMATS } from "../workload/targets.ts";
import { bytes, choice, count, countList, flag, fraction, headerList, httpUrl, method, milliseconds, optionFor, percentage, seconds, text, wallClock, type Kind, type Values } from "./options.ts";

/**
 * Every option of `minibench bench`, declared once: its kind, default, help, aliases, the modes
 * that take it and, for options a config file may set, its key under `defaults`. The flags, the
 * validation of `bench_config.json`'s `defaults`, the plan and `--help` are derived from here.
 */

export const BENCH_MODES = ["closed", "open", "sweep", "preset", "capacity"] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

const option = optionFor<BenchMode>();
const ALL = BENCH_MODES;
const REQUEST = "Target and request";
const OUTPUT = "Output";
const WORKLOAD = "Workload and checks";

export const DEFAULT_URL = "http://127.0.0.1:8000/";

/**
 * With neither `-n` nor `-d`, a closed run goes by time: a fixed count finishes in a fraction of a
 * second against a fast server and measures connection set-up instead of the server.
 */
export const DEFAULT_CLOSED_DURATION_S = 5;

/** `--stages 30s:1000,0s:5000` on the command line; the same text or a list of `{ duration, target }` in a config file. */
const stageList: Kind<Stage[]> = { hint: "STAGES", parse: (input, label) => readStages(input, label), show: formatStages };

export const BENCH_OPTIONS = {
  // ---- Each mode's own ----
  requests: option(count(), { modes: ["closed"], alias: "n", help: "Requests per repeat, instead of a duration" }),
  concurrency: option(count(), { modes: ["closed"], alias: "c", default: 200, help: "Connections, each waiting for its response before the next request" }),
  duration: option(seconds({ min: 0.001 }), {
    modes: ["closed"],
    alias: "d",
    defaultText: `${DEFAULT_CLOSED_DURATION_S}s without -n`,
    help: "Run each repeat for this long (e.g. 10s)",
  }),
  warmup: option(count({ min: 0 }), { modes: ["closed"], default: 500, help: "Warm-up requests, not recorded" }),
  // Not under the config file's `defaults`: there a list of rates would become a number of connections.
  closedStages: option(stageList, {
    modes: ["closed"],
    flag: "stages",
    help: "Move the connections through stages of duration:target (e.g. 30s:10,60s:100), from -c (or 0): each a linear ramp, 0s a step",
  }),

  rps: option(count({ min: 0 }), { modes: ["open"], defaultText: "required; 0 with --stages", help: "Target arrival rate, requests per second (with --stages, the rate they start from)" }),
  stages: option(stageList, {
    modes: ["open"],
    config: "stages",
    help: "Move the rate through stages of duration:target (e.g. 30s:1000,0s:5000,60s:5000): each a linear ramp, 0s a step",
  }),
  openDuration: option(seconds({ min: 0.001 }), { modes: ["open"], flag: "duration", alias: "d", default: 15, help: "Measured window per repeat" }),
  openConcurrency: option(count(), { modes: ["open", "capacity"], flag: "concurrency", alias: "c", default: 800, help: "Most requests in flight at once" }),
  backlog: option(count({ min: 0 }), {
    modes: ["open"],
    defaultText: `${DEFAULT_BACKLOG_S} s of requests at --rps, at least --concurrency`,
    help: "Requests that may wait for a free connection before being dropped",
  }),
  arrival: option(choice(["constant", "poisson"]), { modes: ["open", "capacity"], default: "constant", help: "Arrival process: evenly spaced, or random (Poisson)" }),
  warmupSec: option(seconds(), { modes: ["open"], flag: "warmup-sec", default: 5, help: "Warm-up before the first window, not recorded" }),

  sweepRequests: option(count(), { modes: ["sweep"], flag: "requests", alias: "n", default: 3000, help: "Requests per repeat at each concurrency" }),
  minDuration: option(seconds(), { modes: ["sweep"], flag: "min-duration", default: 1, help: "Each repeat measures at least this long (e.g. 1s); 0 for none" }),
  concurrencies: option(countList(), { modes: ["sweep"], default: [1, 2, 5, 10, 20, 50, 100, 200], help: "Concurrencies to measure, comma-separated" }),
  sweepWarmup: option(count({ min: 0 }), { modes: ["sweep"], flag: "warmup", default: 300, help: "Warm-up requests per concurrency, not recorded" }),
  sloP99: option(milliseconds({ min: 0.001 }), { modes: ["sweep"], flag: "slo-p99", help: "Also report the highest throughput whose p99 (ms) meets this" }),

  capacitySloP99: option(milliseconds({ min: 0.001 }), {
    modes: ["capacity"],
    flag: "slo-p99",
    required: true,
    help: "The p99 latency (ms) a rate must stay within, measured from the intended send times",
  }),
  sloErrorRate: option(fraction, { modes: ["capacity"], flag: "slo-error-rate", default: 0, help: "The SLO: largest share of requests (0–1) that may fail" }),
  tolerance: option(percentage, { modes: ["capacity"], default: CAPACITY_DEFAULTS.tolerance, help: "Stop bisecting when the bracket is this narrow (e.g. 5%)" }),
  probe: option(seconds({ min: 0.1 }), { modes: ["capacity"], default: CAPACITY_DEFAULTS.probeS, help: "How long each probe measures" }),
  confirm: option(seconds({ min: 0.1 }), { modes: ["capacity"], default: CAPACITY_DEFAULTS.confirmS, help: "How long the run that confirms the rate found measures" }),
  maxProbes: option(count({ min: 2, max: 100 }), { modes: ["capacity"], flag: "max-probes", default: CAPACITY_DEFAULTS.maxProbes, help: "Most probes in all, confirmations included" }),
  probeWarmup: option(seconds(), { modes: ["capacity"], flag: "warmup-sec", default: 1, help: "Warm-up of each probe at its rate, not recorded" }),

  repeat: option(count(), { modes: ["closed", "open", "sweep"], default: 3, help: "Repeats (medians are reported)" }),

  profile: option(text("NAME"), { modes: ["preset"], default: "standard", help: "Profile from the config: smoke, standard, stress, or your own" }),
  calibrate: option(choice(["sweep", "capacity"]), {
    modes: ["preset"],
    default: "sweep",
    help: "Capacity X from a closed-loop sweep's best throughput, or the open-loop capacity within the profile's slo_p99_ms",
  }),
  outDir: option(text("DIR"), { modes: ["preset"], flag: "out-dir", default: ".", help: "Where preset_<profile>_<timestamp>.csv is written" }),

  // ---- Target and request: every mode; a config file's `defaults` may set most ----
  target: option(httpUrl, { modes: ALL, positional: true, hint: "URL", section: REQUEST, help: "Target URL (none with --targets)" }),
  url: option(httpUrl, { modes: ALL, default: DEFAULT_URL, config: "url", section: REQUEST, help: "Target URL, as a flag" }),
  serve: option(flag, { modes: ALL, default: false, section: REQUEST, help: "Start minibench serve as a child on a free port and load it" }),
  method: option(method, { modes: ALL, alias: "m", default: "GET", config: "method", section: REQUEST, help: "HTTP method" }),
  header: option(headerList, { modes: ALL, alias: "H", repeatable: true, config: "header", section: REQUEST, help: "Request header (repeatable)" }),
  body: option(text("TEXT"), { modes: ALL, config: "body", section: REQUEST, help: "Request body (sets Content-Length)" }),
  bodyFile: option(text("PATH"), { modes: ALL, flag: "body-file", section: REQUEST, help: "Request body from a file" }),
  keepalive: option(flag, {
    modes: ALL,
    default: true,
    config: "keepalive",
    section: REQUEST,
    help: "Reuse connections",
    negated: "A new TCP connection per request; its connect time is part of the latency",
  }),
  pipeline: option(count({ min: 1, max: 1024 }), { modes: ALL, default: 1, config: "pipeline", section: REQUEST, help: "Requests in flight per connection (HTTP/1.1 pipelining)" }),
  timeout: option(milliseconds({ min: 1 }), { modes: ALL, default: 10_000, config: "timeout", section: REQUEST, help: "Per-request timeout, counted as a timeout error" }),
  threads: option(count({ min: 1, max: 256 }), { modes: ALL, default: 1, config: "threads", section: REQUEST, help: "Load-generating threads" }),
  insecure: option(flag, { modes: ALL, default: false, config: "insecure", section: REQUEST, help: "Accept any TLS certificate" }),
  config: option(text("PATH"), { modes: ALL, defaultText: "./bench_config.json if present", section: REQUEST, help: "Presets and default options" }),

  // ---- Workload and checks: every mode ----
  targets: option(text("FILE"), { modes: ALL, config: "targets", section: WORKLOAD, help: "Send the requests of a targets file (- for stdin): vegeta's HTTP or JSON lines, or a URL per line; give no URL then (--method, --header and --body are each target's defaults)" }),
  script: option(text("FILE"), {
    modes: ALL,
    config: "script",
    section: WORKLOAD,
    help: "A workload module (.ts or .js) whose targets() go into the pool like a targets file's; optional pick(i) chooses each next target",
  }),
  targetsFormat: option(choice(TARGET_FORMATS), { modes: ALL, flag: "targets-format", config: "targetsFormat", defaultText: "detected from the first line", section: WORKLOAD, help: "The targets file's format" }),
  order: option(choice(ORDERS), { modes: ALL, default: "roundrobin", config: "order", section: WORKLOAD, help: "Which target next: in turn, at random (both by # @weight), or each once and then stop" }),
  seed: option(count({ min: 0, max: Number.MAX_SAFE_INTEGER }), { modes: ALL, defaultText: "random", section: WORKLOAD, help: "Seed of --order random and of {{rand:N}} and {{uuid}}, for a run that can be repeated" }),
  maxPool: option(bytes({ min: 1024 }), { modes: ALL, flag: "max-pool", default: DEFAULT_MAX_POOL_BYTES, defaultText: "1g", config: "maxPool", section: WORKLOAD, help: "Most bytes the encoded targets may take (e.g. 512m)" }),
  expectStatus: option(text("LIST"), { modes: ALL, flag: "expect-status", config: "expectStatus", section: WORKLOAD, help: "Responses must have one of these statuses (200,204 or 2xx); others count as check errors" }),
  expectBody: option(text("TEXT"), { modes: ALL, flag: "expect-body", config: "expectBody", section: WORKLOAD, help: "Response bodies must contain this text" }),
  expectHeader: option(headerList, { modes: ALL, flag: "expect-header", repeatable: true, config: "expectHeader", section: WORKLOAD, help: "Responses must have this header field and value (repeatable)" }),

  // ---- Output: every mode ----
  json: option(flag, { modes: ALL, default: false, section: OUTPUT, help: "Write the result document to stdout" }),
  out: option(text("PATH"), { modes: ALL, section: OUTPUT, help: "Write the result document to a file" }),
  csv: option(text("PATH"), { modes: ALL, section: OUTPUT, help: "Write result rows to a CSV file" }),
  hgrm: option(text("PATH"), { modes: ALL, section: OUTPUT, help: "Write the latency percentile distribution (.hgrm)" }),
  report: option(text("PATH"), { modes: ALL, section: OUTPUT, help: "Write a self-contained HTML report with charts" }),
  progress: option(flag, { modes: ALL, default: true, section: OUTPUT, help: "Live progress on a terminal", negated: "No live progress" }),
  quiet: option(flag, { modes: ALL, default: false, section: OUTPUT, help: "Only errors on stderr" }),
  failP99: option(milliseconds(), { modes: ALL, flag: "fail-p99", section: OUTPUT, help: "Exit 3 when the p99 latency (ms) is above this" }),
  failErrorRate: option(fraction, { modes: ALL, flag: "fail-error-rate", section: OUTPUT, help: "Exit 3 when the error rate (0–1) is above this" }),
  failCheckRate: option(fraction, { modes: ALL, flag: "fail-check-rate", section: OUTPUT, help: "Exit 3 when the share of responses that failed a check (0–1) is above this" }),
  startAt: option(wallClock, { modes: ALL, flag: "start-at", section: OUTPUT, help: "Wait until this time (ISO-8601 or epoch ms) to start" }),
  interval: option(seconds({ min: 0.01 }), {
    modes: ALL,
    section: OUTPUT,
    defaultText: "1s with --hlog, --intervals-json or --report",
    help: "Record each run over time in intervals this long",
  }),
  hlog: option(text("PATH"), { modes: ALL, section: OUTPUT, help: "Write the HdrHistogram interval log (.hlog) of latency, service time and lag" }),
  intervalsJson: option(text("PATH"), { modes: ALL, flag: "intervals-json", section: OUTPUT, help: "Write one JSON line per interval (NDJSON), as each interval ends" }),
  intervalLines: option(flag, { modes: ALL, flag: "interval-lines", default: false, section: OUTPUT, help: "One progress line per interval on stderr, terminal or not" }),
} as const;

export type BenchOptions = typeof BENCH_OPTIONS;
export type BenchValues<M extends BenchMode> = Values<BenchOptions, M>;
