import { afterAll, expect, test } from "bun:test";
import { buildTarget } from "../../src/client/target.ts";
import type { ClosedRun, LoadOptions, OpenRun } from "../../src/config/plan.ts";
import { runClosed, runOpen } from "../../src/schedule/run.ts";
import { runLoad } from "../../src/schedule/threads.ts";
import { decodeHistogram, encodeHistogram, mergeHistograms } from "../../src/stats/histogram.ts";
import type { Interval, RunResult } from "../../src/stats/result.ts";
import { testServer } from "../server/helpers.ts";

/** Runs recorded over time against real sockets on loopback: intervals that add up to the run. */

const stops: (() => void)[] = [];
afterAll(() => {
  for (const stop of stops) stop();
});

function serve(): number {
  const server = testServer();
  stops.push(() => server.stop(0));
  return server.port;
}

const load = (port: number, threads = 1): LoadOptions => ({
  target: buildTarget({ url: `http://127.0.0.1:${port}/`, method: "GET", headers: [], body: null, keepAlive: true, insecure: false }),
  keepAlive: true,
  pipeline: 1,
  timeoutMs: 5000,
  threads,
});

const closed = (extra: Partial<ClosedRun>): ClosedRun => ({ kind: "closed", concurrency: 4, requests: null, durationS: 1.2, warmup: 50, repeat: 1, ...extra });
const open = (extra: Partial<OpenRun>): OpenRun => ({
  kind: "open",
  rateRps: 1000,
  durationS: 1.2,
  concurrency: 50,
  backlog: 1000,
  arrival: "constant",
  repeat: 1,
  warmupS: 0.2,
  ...extra,
});

const sumOf = (encoded: readonly string[]) => encodeHistogram(mergeHistograms(encoded.map(decodeHistogram)));
const total = (intervals: readonly Interval[], pick: (interval: Interval) => number) => intervals.reduce((sum, i) => sum + pick(i), 0);

function expectAddsUp(run: RunResult): Interval[] {
  const intervals = run.intervals!;
  expect(total(intervals, (i) => i.requests)).toBe(run.requests);
  expect(total(intervals, (i) => i.ok)).toBe(run.ok);
  expect(total(intervals, (i) => i.sent)).toBe(run.sent);
  expect(total(intervals, (i) => i.dropped)).toBe(run.dropped);
  expect(sumOf(intervals.map((i) => i.histogram))).toBe(run.histogram);
  if (run.serviceHistogram) expect(sumOf(intervals.map((i) => i.serviceHistogram!))).toBe(run.serviceHistogram);
  expect(Date.parse(run.startedAt!)).toBeGreaterThan(Date.now() - 60_000);
  return intervals;
}

test("a timed closed run: intervals tile its duration and add up to it exactly", async () => {
  const port = serve();
  const heard: Interval[] = [];
  const [run] = await runClosed(load(port), closed({}), "closed", { intervals: { intervalS: 0.25, onInterval: (interval) => heard.push(interval) } });
  const intervals = expectAddsUp(run!);
  // 1.2 s in 0.25 s steps: four whole intervals and the rest.
  expect(intervals).toHaveLength(5);
  expect(heard).toEqual(intervals);
  const lengthS = total(intervals, (i) => i.durationS);
  expect(Math.abs(lengthS - run!.durationS)).toBeLessThan(0.001 * intervals.length);
  // Each interval ends when its timer fires: on the 0.25 s grid, or a little late on a busy machine.
  intervals.slice(0, 4).forEach((interval, k) => {
    const endS = interval.startS + interval.durationS;
    expect(endS).toBeGreaterThanOrEqual(0.25 * (k + 1));
    expect(endS).toBeLessThan(0.25 * (k + 1) + 0.1);
    expect(interval.requests).toBeGreaterThan(0);
  });
  expect(intervals[0]!.serviceHistogram).toBeUndefined();
});

test("an open run: the warm-up is outside the intervals, service time and lag inside", async () => {
  const port = serve();
  const [run] = await runOpen(load(port), open({}), { intervals: { intervalS: 0.3 } });
  const intervals = expectAddsUp(run!);
  // Every scheduled request was sent or dropped (a busy machine may drop a few).
  expect(run!.sent + run!.dropped).toBe(1200);
  expect(decodeHistogram(sumOf(intervals.map((i) => i.lagHistogram!))).totalCount).toBeGreaterThan(900);
  // The window is 1.2 s: 4 intervals and the drain after it, a few milliseconds at most here.
  expect(intervals.length).toBeGreaterThanOrEqual(4);
  expect(intervals.length).toBeLessThanOrEqual(5);
  expect(intervals[1]!.achievedRps).toBeGreaterThan(500);
  expect(intervals[1]!.achievedRps).toBeLessThan(1500);
});

test("threads: each thread's intervals are added exactly, and heard as they end", async () => {
  const port = serve();
  const heard: Interval[] = [];
  const runs = await runLoad(load(port, 2), closed({ repeat: 2, durationS: 0.8 }), "closed", {
    intervals: { intervalS: 0.25, onInterval: (interval) => heard.push(interval) },
  });
  expect(runs).toHaveLength(2);
  for (const run of runs) expectAddsUp(run);
  const intervals = runs.flatMap((run) => run.intervals!);
  expect(heard.map((i) => i.requests)).toEqual(intervals.map((i) => i.requests));
  expect(heard.map((i) => i.histogram)).toEqual(intervals.map((i) => i.histogram));
});

test("intervals not kept: heard as they end, absent from the results, one thread or several", async () => {
  const port = serve();
  for (const threads of [1, 2]) {
    const heard: Interval[] = [];
    const runs = await runLoad(load(port, threads), closed({ durationS: 0.6 }), "closed", {
      intervals: { intervalS: 0.25, keep: false, onInterval: (interval) => heard.push(interval) },
    });
    expect(runs[0]!.intervals).toBeUndefined();
    expect(runs[0]!.startedAt).toBeUndefined();
    expect(heard.length).toBeGreaterThanOrEqual(3);
    expect(total(heard, (i) => i.requests)).toBe(runs[0]!.requests);
  }
});

test("a server that freezes for 1 s shows in the intervals around the freeze, not far from it", async () => {
  // Answers at once, except from 2 s to 3 s after the first request: everything that arrives
  // then is answered when the freeze ends.
  let firstMs = 0;
  const listener = Bun.listen<null>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        const now = performance.now();
        firstMs ||= now;
        const requests = chunk.toString("latin1").split("\r\n\r\n").length - 1;
        const answer = () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".repeat(requests));
        if (now - firstMs < 2000 || now - firstMs >= 3000) return void answer();
        setTimeout(answer, firstMs + 3000 - now);
      },
    },
  });
  stops.push(() => listener.stop(true));
  const [run] = await runOpen(load(listener.port), open({ rateRps: 200, durationS: 5, warmupS: 0 }), { intervals: { intervalS: 0.25 } });
  const intervals = expectAddsUp(run!);
  const freezeEndS = (firstMs + 3000 - (Date.parse(run!.startedAt!) - performance.timeOrigin)) / 1000;
  const around = intervals.filter((i) => i.startS <= freezeEndS + 0.1 && i.startS + i.durationS >= freezeEndS - 0.1);
  const far = intervals.filter((i) => i.startS + i.durationS < freezeEndS - 1.5 || i.startS >= freezeEndS + 0.9);
  expect(Math.max(...around.map((i) => i.latencyMs.max))).toBeGreaterThan(900);
  expect(Math.max(...around.map((i) => i.latencyMs.max))).toBeLessThan(1300);
  expect(far.length).toBeGreaterThanOrEqual(8);
  // Generous: the machine is shared, and a busy neighbour can cost a request a hundred milliseconds.
  for (const interval of far) expect(interval.latencyMs.max).toBeLessThan(400);
  // While the server said nothing, nothing completed: leaving a loaded client 300 ms to read what was
  // answered before, and 50 ms for the two clocks the freeze's end is placed by (wall and monotonic).
  const during = intervals.filter((i) => i.startS >= freezeEndS - 0.7 && i.startS + i.durationS <= freezeEndS - 0.05);
  expect(during.length).toBeGreaterThanOrEqual(1);
  for (const interval of during) expect(interval.requests).toBe(0);
}, 15_000);
