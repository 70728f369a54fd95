import pkg from "../package.json" with { type: "json" };

// Release builds inject the git commit with `--define MINIBENCH_COMMIT='"abc1234"'`.
declare const MINIBENCH_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof MINIBENCH_COMMIT === "string" ? MINIBENCH_COMMIT : "";
