/** Monotonic microseconds (a float with sub-microsecond resolution; ~50 ns a call). */
export const nowUs = (): number => Bun.nanoseconds() / 1000;
