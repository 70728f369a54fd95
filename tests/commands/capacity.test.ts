import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import schema from "../result.schema.json" with { type: "json" };
import { CSV_COLUMNS } from "../../src/report/csv.ts";
import { knownCapacityServer } from "../schedule/known-capacity-server.ts";
import { runCli } from "../support/cli.ts";
import { eventually } from "../support/eventually.ts";
import { validate } from "../support/json-schema.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * `bench capacity` end to end: the real CLI in a subprocess against a server of known capacity
 * μ (one request at a time, 4 ms each: μ = 250 req/s), in this process.
 */

const server = knownCapacityServer(4);
const url = `http://127.0.0.1:${server.port}/`;
const dir = tempDir("capacity");
afterAll(() => server.stop());

// Short probes keep the search to about half a minute; the SLO is far above a queue-free p99 (4–8 ms).
// Probes that a starved generator made inconclusive run again: room for them on a shared machine.
const SEARCH = ["--slo-p99", "100", "--probe", "2s", "--confirm", "3s", "--warmup-sec", "0.5", "--max-probes", "20"];

test("finds the capacity of a server of known μ: probes, verdicts, the capacity in words, JSON, CSV", async () => {
  const out = join(dir, "capacity.json");
  const csvPath = join(dir, "capacity.csv");
  const { stdout, stderr, code } = await runCli(["bench", "capacity", url, ...SEARCH, "--json", "--out", out, "--csv", csvPath]);
  expect(code).toBe(0);
  const document = JSON.parse(stdout);
  expect(validate(document, schema)).toEqual([]);
  expect(readFileSync(out, "utf8")).toBe(stdout);
  expect(document.mode).toBe("capacity");
  const capacity = document.summary.capacity;
  // Past μ a queue grows without end, so no rate much above it can pass; a rate within the 1% the
  // sustained rule allows may, over a 3 s confirmation (251 req/s queues 3 requests in it).
  // (Its accuracy, 0.9–1.0 μ, is measured by scripts/capacity-loopback.ts; a test shares the cores.)
  expect(capacity.capacityRps).toBeLessThanOrEqual(1.02 * server.capacityRps);
  expect(capacity.capacityRps).toBeGreaterThanOrEqual(0.7 * server.capacityRps);
  expect(capacity.probes.length).toBeLessThanOrEqual(20);
  expect(capacity.slo).toEqual({ p99Ms: 100, errorRate: 0 });
  const last = capacity.probes.at(-1);
  expect([last.step, last.rateRps, last.durationS, last.pass]).toEqual(["confirm", capacity.capacityRps, 3, true]);
  // Each probe is an open run of the document, at its rate; the closed-loop estimate comes first.
  expect(document.runs[0].phase).toBe("closed");
  for (const probe of capacity.probes) {
    const run = document.runs[probe.run];
    expect([run.phase, run.targetRps, run.durationS > 0]).toEqual(["open", probe.rateRps, true]);
    expect(probe.pass).toBe(probe.reasons.length === 0);
  }
  expect(capacity.probes.some((probe: { pass: boolean }) => !probe.pass)).toBe(true);

  // Live: one line per probe as it ends; then the table and the capacity in words.
  const probeLines = stderr.split("\n").filter((line) => /probe \d+ \((start|up|down|bisect|confirm)\)/.test(line));
  expect(probeLines).toHaveLength(capacity.probes.length);
  expect(stderr).toMatch(/probe\s+step\s+rate\/s\s+s\s+achieved\/s\s+p50 ms\s+p99 ms\s+errors\s+dropped\s+verdict\s+why/);
  expect(stderr).toContain(`capacity: ${capacity.capacityRps} req/s within p99 ≤ 100 ms, no errors`);

  const rows = readFileSync(csvPath, "utf8").trim().split("\r\n");
  expect(rows[0]).toBe(CSV_COLUMNS.join(","));
  const at = (row: string, column: string) => row.split(",")[CSV_COLUMNS.indexOf(column as (typeof CSV_COLUMNS)[number])];
  const probeRows = rows.filter((row) => at(row, "phase") === "capacity_probe");
  expect(probeRows).toHaveLength(capacity.probes.length);
  expect(probeRows.map((row) => [at(row, "probe"), at(row, "probe_step"), at(row, "target_rps"), at(row, "verdict")])).toEqual(
    capacity.probes.map((probe: { step: string; rateRps: number; pass: boolean }, i: number) => [String(i + 1), probe.step, String(probe.rateRps), probe.pass ? "pass" : "fail"]),
  );
}, 120_000);

test("Ctrl-C during the search: the probes measured so far are written, exit 130", async () => {
  const out = join(dir, "stopped.json");
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/cli.ts"), "bench", "capacity", url, ...SEARCH, "--out", out], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stderr = "";
  const reader = (async () => {
    for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  await eventually(() => /probe 2 \(/.test(stderr), 60_000, "the second probe's line");
  child.kill("SIGINT");
  const code = await child.exited;
  await reader;
  expect(code).toBe(130);
  const document = JSON.parse(readFileSync(out, "utf8"));
  expect(validate(document, schema)).toEqual([]);
  expect(document.summary.interrupted).toBe(true);
  const { capacity } = document.summary;
  expect(capacity.capacityRps).toBeNull();
  // The two probes that ended, and perhaps the one stopped part-way (it cannot pass).
  expect(capacity.probes.length).toBeGreaterThanOrEqual(2);
  expect(capacity.probes.slice(2).every((probe: { pass: boolean }) => !probe.pass)).toBe(true);
  expect(stderr).toContain("no capacity found");
}, 90_000);

describe("bench preset --calibrate capacity", () => {
  const profile = (slo: object) => ({
    closed: { concurrencies: [4], total_per_c: 200, warmup: 0, repeat: 1 },
    open: { duration: 2, warmup_sec: 0.5, levels: [0.5, 0.9] },
    ...slo,
  });
  const config = join(dir, "presets.json");
  writeFileSync(config, JSON.stringify({ presets: { tiny: profile({ slo_p99_ms: 100 }), nosla: profile({}) } }));

  test("X is the open-loop capacity within the profile's SLO; the levels are fractions of it", async () => {
    const outDir = join(dir, "preset");
    const { stdout, stderr, code } = await runCli(["bench", "preset", url, "--config", config, "--profile", "tiny", "--calibrate", "capacity", "--out-dir", outDir, "--json"]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    const document = JSON.parse(stdout);
    expect(validate(document, schema)).toEqual([]);
    const { preset, capacity } = document.summary;
    expect(preset.calibration).toBe("capacity");
    expect(capacity.slo.p99Ms).toBe(100);
    expect(preset.capacityRps).toBe(capacity.capacityRps);
    expect(preset.capacityRps).toBeLessThanOrEqual(1.02 * server.capacityRps);
    expect(preset.capacityRps).toBeGreaterThan(0);
    expect(preset.levels).toEqual([0.5, 0.9].map((fraction) => ({ fraction, targetRps: Math.round(fraction * preset.capacityRps) })));
    expect(stderr).toContain(`capacity (highest open-loop rate within the SLO): ${preset.capacityRps} req/s`);
    const [csvName] = readdirSync(outDir);
    const phases = readFileSync(join(outDir, csvName!), "utf8").trim().split("\r\n").slice(1).map((row) => row.split(",")[1]);
    expect(phases[0]).toBe("capacity_estimate");
    expect(phases.filter((phase) => phase === "capacity_probe")).toHaveLength(capacity.probes.length);
    expect(phases.slice(-2)).toEqual(["open_loop", "open_loop"]);
  }, 120_000);

  test("a profile without slo_p99_ms is refused before any load, naming it", async () => {
    const { code, stderr } = await runCli(["bench", "preset", url, "--config", config, "--profile", "nosla", "--calibrate", "capacity"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--calibrate capacity: profile "nosla" in ${config} has no slo_p99_ms`);
  });

  test("slo_p99_ms is validated with its JSON path", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ presets: { tiny: profile({ slo_p99_ms: "fast" }) } }));
    const { code, stderr } = await runCli(["bench", "preset", url, "--config", bad, "--profile", "tiny"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`presets.tiny.slo_p99_ms: expected a positive number, got "fast"`);
  });
});

test.each([
  [["--slo-p99", "0"], "--slo-p99: "],
  [[], "--slo-p99 is required"],
  [["--slo-p99", "10", "--tolerance", "150%"], '--tolerance: expected a percentage such as 5% (or a fraction such as 0.05), got "150%"'],
  [["--slo-p99", "10", "--slo-p9", "5"], "unknown option --slo-p9 (did you mean --slo-p99?)"],
  [["--slo-p99", "10", "--slo-error-rate", "2"], '--slo-error-rate: expected a fraction from 0 to 1, got "2"'],
])("bad options exit 2 before any load, naming the flag: %p", async (args, message) => {
  const { code, stderr } = await runCli(["bench", "capacity", url, ...args]);
  expect(code).toBe(2);
  expect(stderr).toContain(message);
  expect(stderr).not.toContain("    at ");
});

test("a mistyped mode is named", async () => {
  const { code, stderr } = await runCli(["bench", "capacty", url]);
  expect(code).toBe(2);
  expect(stderr).toContain('unknown command "capacty" (did you mean capacity?)');
});
