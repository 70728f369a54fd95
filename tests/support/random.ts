/** Seeded PRNG (mulberry32) so a failing property case is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latency-like integer microseconds, spread log-uniformly over [lowUs, highUs]. */
export function logUniformUs(random: () => number, lowUs: number, highUs: number): number {
  return Math.floor(Math.exp(Math.log(lowUs) + random() * (Math.log(highUs) - Math.log(lowUs))));
}
