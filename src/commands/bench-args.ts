import type { ArgsDef } from "citty";

/**
 * Flag definitions shared by the bench modes, spread into each mode's command. Numbers are
 * strings here (citty's number type breaks parsing); `src/config/bench-plan.ts` parses and
 * validates them once.
 */

export const targetArgs = {
  target: { type: "positional", required: false, valueHint: "URL", description: "Target URL (default http://127.0.0.1:8000/)" },
  url: { type: "string", description: "Target URL, as a flag" },
  serve: { type: "boolean", default: false, description: "Start minibench serve as a child process on a free port and benchmark it" },
  method: { type: "string", alias: "m", default: "GET", description: "HTTP method" },
  header: { type: "string", alias: "H", description: 'Request header "Name: value" (repeatable)' },
  body: { type: "string", description: "Request body (sets Content-Length)" },
  "body-file": { type: "string", description: "Request body from a file" },
  keepalive: {
    type: "boolean",
    default: true,
    description: "Reuse connections",
    negativeDescription: "A new TCP connection per request; its connect time is part of the latency",
  },
  pipeline: { type: "string", default: "1", description: "Requests in flight per connection (HTTP/1.1 pipelining)" },
  timeout: { type: "string", default: "10000", description: "Per-request timeout in ms (counted as a timeout error)" },
  threads: { type: "string", default: "1", description: "Load-generating threads" },
  insecure: { type: "boolean", default: false, description: "Accept any TLS certificate" },
  config: { type: "string", description: "Presets and default options (default: ./bench_config.json if present)" },
} as const satisfies ArgsDef;

export const outputArgs = {
  json: { type: "boolean", default: false, description: "Write the result document to stdout" },
  out: { type: "string", description: "Write the result document to a file" },
  csv: { type: "string", description: "Write result rows to a CSV file" },
  hgrm: { type: "string", description: "Write the merged latency histogram's percentile distribution (.hgrm)" },
  report: { type: "string", description: "Write a self-contained HTML report with charts" },
  progress: { type: "boolean", default: true, description: "Live progress on a terminal", negativeDescription: "No live progress" },
  quiet: { type: "boolean", default: false, description: "Only errors on stderr" },
  "fail-p99": { type: "string", description: "Exit 3 when the p99 latency (ms) is above this" },
  "fail-error-rate": { type: "string", description: "Exit 3 when the error rate (0–1) is above this" },
  "start-at": { type: "string", description: "Wait until this time (ISO-8601 or epoch ms) before starting" },
} as const satisfies ArgsDef;

export const closedArgs = {
  requests: { type: "string", alias: "n", description: "Requests per repeat, instead of a duration" },
  concurrency: { type: "string", alias: "c", default: "200", description: "Connections, each waiting for its response before the next request" },
  repeat: { type: "string", default: "3", description: "Repeats (the median is reported)" },
  warmup: { type: "string", default: "500", description: "Warm-up requests, not recorded" },
  duration: { type: "string", alias: "d", description: "Run each repeat for this long (e.g. 10s); the default without -n: 5s" },
} as const satisfies ArgsDef;

export const openArgs = {
  rps: { type: "string", description: "Target arrival rate, requests per second (required)" },
  duration: { type: "string", alias: "d", default: "15", description: "Measured window per repeat, seconds" },
  concurrency: { type: "string", alias: "c", default: "800", description: "Most requests in flight at once" },
  backlog: { type: "string", description: "Requests that may wait for a free slot before being dropped (default: 3 s of requests at --rps, at least --concurrency)" },
  arrival: { type: "enum", options: ["constant", "poisson"], default: "constant", description: "Arrival process" },
  repeat: { type: "string", default: "3", description: "Repeats (the median is reported)" },
  "warmup-sec": { type: "string", default: "5", description: "Warm-up before the first window, not recorded" },
} as const satisfies ArgsDef;

export const sweepArgs = {
  requests: { type: "string", alias: "n", default: "3000", description: "Requests per repeat at each concurrency" },
  "min-duration": { type: "string", default: "1", description: "Each repeat measures at least this long (e.g. 1s); 0 for none" },
  concurrencies: { type: "string", default: "1,2,5,10,20,50,100,200", description: "Concurrencies to measure, comma-separated" },
  repeat: { type: "string", default: "3", description: "Repeats per concurrency (medians are reported)" },
  warmup: { type: "string", default: "300", description: "Warm-up requests per concurrency, not recorded" },
  "slo-p99": { type: "string", description: "Also report the highest throughput whose p99 (ms) meets this" },
} as const satisfies ArgsDef;

export const presetArgs = {
  profile: { type: "string", default: "standard", description: "Profile from the config: smoke, standard, stress, or your own" },
  "out-dir": { type: "string", default: ".", description: "Where preset_<profile>_<timestamp>.csv is written" },
} as const satisfies ArgsDef;
