/**
 * Set-up failures: the only errors minibench throws. Run-time failures during a benchmark are
 * counted, never thrown. Each message is the advice a user needs; `src/cli.ts` catches these once,
 * prints the message on one line and exits with `exitCode`.
 */
export class MinibenchError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** A flag or argument is wrong: exit 2. The message names the flag. */
export class UsageError extends MinibenchError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** `bench_config.json` is wrong: exit 2. The message names the file and the JSON path. */
export class ConfigError extends MinibenchError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The run could not start or its results could not be written: exit 1. */
export class RunError extends MinibenchError {
  constructor(message: string) {
    super(message, 1);
  }
}
