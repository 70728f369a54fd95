import { expect, test } from "bun:test";
import { openLoop } from "../../src/schedule/open.ts";
import { LoadProfile, parseStages } from "../../src/schedule/stages.ts";
import { FakeSender } from "../support/fake-sender.ts";
import { seededRandom } from "../support/random.ts";

/**
 * The open loop driven through a profile with a fake clock: the clock advances 1 ms at a time, every
 * request in flight completes at each step, and the intended send times are what is checked.
 */
async function intendedTimesUs(profile: LoadProfile, arrival: "constant" | "poisson" = "constant", seed = 1): Promise<number[]> {
  let now = 0;
  const sender = new FakeSender(1_000_000, () => now);
  const endUs = profile.durationS * 1e6;
  const done = openLoop(sender, { profile, arrival, startUs: 0, backlog: 1, drainUs: 0, random: seededRandom(seed), tickMs: 1000 }, () => now);
  for (now = 0; now <= endUs; now += 1000) {
    sender.listener.onSlotFree();
    // Nothing leaves before it is due.
    expect(sender.sentIntendedUs.at(-1) ?? 0).toBeLessThanOrEqual(now);
    sender.complete(sender.inFlight);
  }
  now = endUs + 1;
  sender.listener.onSlotFree();
  await done;
  expect(sender.tally.dropped).toBe(0);
  return sender.sentIntendedUs;
}

const countIn = (timesUs: number[], fromS: number, toS: number) => timesUs.filter((t) => t >= fromS * 1e6 && t < toS * 1e6).length;

test("each constant stage sends within 1% of its rate", async () => {
  const profile = new LoadProfile(1000, parseStages("--stages", "1s:1000,0s:3000,1s:3000,0s:500,2s:500,0s:7,3s:7"));
  const times = await intendedTimesUs(profile);
  const windows = [
    { fromS: 0, toS: 1, rateRps: 1000 },
    { fromS: 1, toS: 2, rateRps: 3000 },
    { fromS: 2, toS: 4, rateRps: 500 },
    { fromS: 4, toS: 7, rateRps: 7 },
  ];
  for (const { fromS, toS, rateRps } of windows) {
    const achievedRps = countIn(times, fromS, toS) / (toS - fromS);
    expect(Math.abs(achievedRps - rateRps)).toBeLessThanOrEqual(Math.max(0.01 * rateRps, 1 / (toS - fromS)));
  }
});

test("in 100 ms buckets a linear ramp sends ∫r over the bucket, within max(2%, 2 requests)", async () => {
  const profile = new LoadProfile(0, parseStages("--stages", "2s:5000,1s:5000,1.5s:300,0.5s:0"));
  const times = await intendedTimesUs(profile);
  for (let fromS = 0; fromS < profile.durationS - 1e-9; fromS += 0.1) {
    const toS = Math.min(profile.durationS, fromS + 0.1);
    const expected = profile.areaUntil(toS) - profile.areaUntil(fromS);
    expect(Math.abs(countIn(times, fromS, toS) - expected)).toBeLessThanOrEqual(Math.max(0.02 * expected, 2));
  }
});

test("a whole profile sends round(H(T)) ± 1 requests, none in a stage at rate 0", async () => {
  const profiles = [
    "10s:1000,0s:20000,5s:20000,0s:1000,20s:1000",
    "1.5s:333,0.7s:0",
    "0.25s:0,0s:80,1.25s:80,0s:0,0.5s:0,0.9s:1234",
  ].map((stages) => new LoadProfile(0, parseStages("--stages", stages)));
  for (const profile of profiles) {
    const times = await intendedTimesUs(profile);
    expect(Math.abs(times.length - Math.round(profile.total))).toBeLessThanOrEqual(1);
  }
  const gappy = await intendedTimesUs(profiles[2]!);
  expect(countIn(gappy, 0, 0.25)).toBe(0);
  expect(countIn(gappy, 0.25, 1.5)).toBe(100);
  expect(countIn(gappy, 1.5, 2)).toBe(0);
});

test("a seeded Poisson profile repeats exactly, keeps its mean, and follows the profile", async () => {
  const profile = new LoadProfile(0, parseStages("--stages", "1s:8000,0s:0,0.5s:0,0s:4000,1s:4000"));
  const first = await intendedTimesUs(profile, "poisson", 42);
  const second = await intendedTimesUs(profile, "poisson", 42);
  const other = await intendedTimesUs(profile, "poisson", 43);
  expect(first).toEqual(second);
  expect(other).not.toEqual(first);
  // H(T) = 8000: a Poisson count has σ = √8000 ≈ 89; 4σ.
  expect(Math.abs(first.length - profile.total)).toBeLessThan(360);
  expect(countIn(first, 1, 1.5)).toBe(0);
  // The ramp's first half holds a quarter of its arrivals.
  expect(Math.abs(countIn(first, 0, 0.5) - 1000)).toBeLessThan(130);
});
