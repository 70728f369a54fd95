import type { RandomSource } from "./placeholders.ts";

/**
 * A small seeded PRNG, sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): four 32-bit
 * words of state, a few integer operations per draw, no allocation, and the same sequence for
 * the same `--seed` on every machine. Not for secrets: for picking targets and filling ids.
 */
export class Random implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  /** Any integer seed from 0 to 2^53 − 1; its two halves go through splitmix32 so nearby seeds differ. */
  constructor(seed: number) {
    let s = (seed % 4294967296) ^ Math.floor(seed / 4294967296);
    const mix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    // The first draws of a fresh state are still close to the seed: let them go.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
}
