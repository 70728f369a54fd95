import { expect, test } from "bun:test";
import { closedLoop } from "../../src/schedule/closed.ts";
import { FakeSender } from "../support/fake-sender.ts";

test("fills every slot at once, then one request per outcome, and stops at the count", async () => {
  let now = 1000;
  const sender = new FakeSender(4, () => now);
  const done = closedLoop(sender, { requests: 10 }, () => now);
  expect(sender.sentIntendedUs).toHaveLength(4);
  now = 2000;
  sender.complete(1);
  expect(sender.sentIntendedUs).toHaveLength(5);
  expect(sender.sentIntendedUs[4]).toBe(2000);
  sender.complete(3);
  expect(sender.sentIntendedUs).toHaveLength(8);
  sender.complete(4);
  expect(sender.sentIntendedUs).toHaveLength(10);
  sender.complete(2);
  await done;
  expect(sender.tally.requests).toBe(10);
  expect(sender.sentIntendedUs).toHaveLength(10);
});

test("sends that fail at once, re-entering the loop, never overshoot the count", async () => {
  const sender = new FakeSender(50, () => 0);
  sender.failSynchronously = true;
  await closedLoop(sender, { requests: 300 }, () => 0);
  expect(sender.sentIntendedUs).toHaveLength(300);
  expect(sender.tally.errors.connect).toBe(300);
});

test("a duration-bound loop stops sending at its end and abandons what is in flight", async () => {
  const sender = new FakeSender(2, () => performance.now() * 1000);
  const started = performance.now();
  await closedLoop(sender, { untilUs: (started + 50) * 1000 }, () => performance.now() * 1000);
  expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  expect(sender.sentIntendedUs).toHaveLength(2);
  sender.complete(2);
  expect(sender.sentIntendedUs).toHaveLength(2);
});

test("an abort stops the loop", async () => {
  const sender = new FakeSender(2, () => 0);
  const abort = new AbortController();
  const done = closedLoop(sender, { requests: 1000 }, () => 0, abort.signal);
  abort.abort();
  await done;
  sender.complete(2);
  expect(sender.sentIntendedUs).toHaveLength(2);
});

test("a count reached before the minimum duration: the loop goes on, as a timed run, until then", async () => {
  let now = 0;
  const sender = new FakeSender(2, () => now);
  let finished = false;
  const done = closedLoop(sender, { requests: 4, notBeforeUs: 30_000 }, () => now).then(() => (finished = true));
  sender.complete(2);
  sender.complete(2);
  // The count of 4 is reached at once; the loop keeps both slots busy instead of stopping.
  expect(sender.tally.requests).toBe(4);
  expect(sender.sentIntendedUs).toHaveLength(6);
  sender.complete(2);
  expect(sender.sentIntendedUs).toHaveLength(8);
  expect(finished).toBe(false);
  now = 30_000;
  await done;
  sender.complete(2);
  expect(sender.sentIntendedUs).toHaveLength(8);
});

test("a count reached after the minimum duration stops at the count", async () => {
  let now = 0;
  const sender = new FakeSender(2, () => now);
  const done = closedLoop(sender, { requests: 4, notBeforeUs: 10 }, () => now);
  now = 20;
  sender.complete(2);
  sender.complete(2);
  await done;
  expect(sender.sentIntendedUs).toHaveLength(4);
});
