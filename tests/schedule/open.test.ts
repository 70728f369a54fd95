import { expect, test } from "bun:test";
import { openLoop, type OpenLoopPlan } from "../../src/schedule/open.ts";
import { LoadProfile } from "../../src/schedule/stages.ts";
import { defaultBacklog } from "../../src/config/plan.ts";
import { seededRandom } from "../support/random.ts";
import { FakeSender } from "../support/fake-sender.ts";

/** A constant rate from 0 to `endUs`, as the plans of these tests were written. */
const plan = ({ rateRps = 1000, endUs = 100_000, ...extra }: Partial<OpenLoopPlan> & { rateRps?: number; endUs?: number }): OpenLoopPlan => ({
  profile: LoadProfile.constant(rateRps, endUs / 1e6),
  arrival: "constant",
  startUs: 0,
  backlog: 100,
  drainUs: 1_000_000,
  tickMs: 1,
  ...extra,
});

test("constant arrivals: every request due is sent at once with its exact intended time", async () => {
  let now = 0;
  const sender = new FakeSender(1000, () => now);
  const done = openLoop(sender, plan({}), () => now);
  expect(sender.sentIntendedUs).toEqual([0]);
  now = 10_500;
  sender.complete(1);
  // 1000 req/s: one every 1000 µs; all due by 10.5 ms leave in one dispatch, each with its own time.
  expect(sender.sentIntendedUs).toEqual(Array.from({ length: 11 }, (_, k) => k * 1000));
  now = 100_000;
  sender.complete(10);
  expect(sender.sentIntendedUs).toHaveLength(100);
  expect(sender.sentIntendedUs.at(-1)).toBe(99_000);
  sender.complete(100);
  await done;
  expect(sender.tally.requests).toBe(100);
  expect(sender.tally.dropped).toBe(0);
});

test("past the cap requests wait in the backlog in order, past the backlog they are dropped", async () => {
  let now = 0;
  const sender = new FakeSender(2, () => now);
  const done = openLoop(sender, plan({ backlog: 3, endUs: 10_000 }), () => now);
  now = 9_999;
  sender.complete(0);
  sender.listener.onSlotFree();
  // 10 due: 2 in flight (0, 1000), 3 waiting (2000..4000), 5 dropped.
  expect(sender.sentIntendedUs).toEqual([0, 1000]);
  expect(sender.tally.dropped).toBe(5);
  sender.complete(1);
  // The freed slot goes to the oldest waiting request, which keeps its intended time.
  expect(sender.sentIntendedUs).toEqual([0, 1000, 2000]);
  sender.complete(4);
  expect(sender.sentIntendedUs).toEqual([0, 1000, 2000, 3000, 4000]);
  sender.complete(2);
  await done;
  expect(sender.tally.requests + sender.tally.dropped).toBe(10);
});

test("the scheduler lag is recorded for requests that found a free slot", async () => {
  let now = 0;
  const sender = new FakeSender(10, () => now);
  const done = openLoop(sender, plan({ endUs: 3000 }), () => now);
  now = 2500;
  sender.complete(1);
  // Sent at 2500 µs: the one meant for 1000 was 1500 µs late, the one for 2000 was 500 µs late.
  expect(sender.tally.lag.histogram.totalCount).toBe(3);
  expect(sender.tally.lag.histogram.maxValue).toBeGreaterThanOrEqual(1499);
  now = 3000;
  sender.complete(2);
  await done;
});

test("poisson arrivals keep the mean rate, reproducibly from a seed", async () => {
  let now = 0;
  const run = async () => {
    const sender = new FakeSender(100_000, () => now);
    now = 0;
    const done = openLoop(sender, plan({ arrival: "poisson", rateRps: 10_000, endUs: 1_000_000, random: seededRandom(42) }), () => now);
    now = 1_000_000;
    sender.listener.onSlotFree();
    sender.complete(100_000);
    await done;
    return sender.sentIntendedUs;
  };
  const first = await run();
  const second = await run();
  expect(first).toEqual(second);
  expect(first.length).toBeGreaterThan(9_700);
  expect(first.length).toBeLessThan(10_300);
  const gaps = first.slice(1).map((t, i) => t - first[i]!);
  // Exponential gaps: their standard deviation equals their mean (100 µs).
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  expect(sd / mean).toBeGreaterThan(0.9);
  expect(sd / mean).toBeLessThan(1.1);
});

test("sends that fail at once, re-entering the loop, are each scheduled once", async () => {
  let now = 0;
  const sender = new FakeSender(5, () => now);
  sender.failSynchronously = true;
  const done = openLoop(sender, plan({ endUs: 50_000 }), () => now);
  now = 50_000;
  sender.listener.onSlotFree();
  await done;
  expect(sender.sentIntendedUs).toEqual(Array.from({ length: 50 }, (_, k) => k * 1000));
  expect(sender.tally.errors.connect).toBe(50);
});

test("the default backlog queues a 2 s stall of the server: no drop, the stall shows as latency from the intended time", async () => {
  let now = 0;
  const rateRps = 1000;
  const cap = 10;
  const sender = new FakeSender(cap, () => now);
  const done = openLoop(sender, plan({ rateRps, endUs: 3_000_000, backlog: defaultBacklog(rateRps, cap) }), () => now);
  // The server answers nothing for 2 s: 10 requests in flight, the rest wait.
  now = 2_000_000;
  sender.listener.onSlotFree();
  expect(sender.tally.dropped).toBe(0);
  // Then it answers everything at once, and keeps up until the end.
  for (; now <= 3_100_000; now += 1000) sender.complete(sender.inFlight);
  await done;
  expect(sender.tally.dropped).toBe(0);
  expect(sender.tally.requests).toBe(3000);
  // The first requests waited the whole stall: latency from the intended time shows it.
  expect(sender.tally.latency.histogram.maxValue).toBeGreaterThanOrEqual(1_990_000);
});

test("the default backlog is 3 s of requests at the target rate, never less than the cap", () => {
  expect(defaultBacklog(20_000, 800)).toBe(60_000);
  expect(defaultBacklog(100, 800)).toBe(800);
});

test("at the drain deadline the backlog is dropped, but requests in flight are waited for", async () => {
  let now = 0;
  const sender = new FakeSender(1, () => now);
  let finished = false;
  const done = openLoop(sender, plan({ backlog: 5, endUs: 3_000, drainUs: 10_000 }), () => now).then(() => (finished = true));
  now = 2_500;
  sender.listener.onSlotFree();
  // One in flight (0), two waiting (1000, 2000).
  expect(sender.sentIntendedUs).toEqual([0]);
  now = 12_000;
  sender.complete(1);
  // A slot freed just before the deadline takes the oldest waiting request.
  expect(sender.sentIntendedUs).toEqual([0, 1000]);
  now = 13_001;
  sender.listener.onSlotFree();
  await Bun.sleep(5);
  // Past the deadline: the request still waiting is dropped, the one in flight keeps the run open.
  expect(sender.tally.dropped).toBe(1);
  expect(finished).toBe(false);
  sender.complete(1);
  await done;
  expect(sender.tally.sent).toBe(2);
  expect(sender.tally.requests).toBe(2);
});
