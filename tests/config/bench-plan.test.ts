import { expect, test } from "bun:test";
import { parseArgs } from "citty";
import { closedRun, DEFAULT_CLOSED_DURATION_S, withDefaults } from "../../src/config/bench-plan.ts";
import { closedArgs, outputArgs, targetArgs } from "../../src/commands/bench-args.ts";
import { givenFlags } from "../../src/commands/flags.ts";

const args = { ...targetArgs, ...closedArgs, ...outputArgs };

function merged(rawArgs: string[], defaults: Parameters<typeof withDefaults>[3]) {
  return withDefaults(parseArgs(rawArgs, args), givenFlags(args, rawArgs), [], defaults);
}

test("a flag on the command line wins over the file's defaults, which win over built-in defaults", () => {
  const defaults = { timeout: 3000, keepalive: false, pipeline: 4, header: ["X-From: file"] };
  const fromFile = merged([], defaults);
  expect(fromFile.flags.timeout).toBe("3000");
  expect(fromFile.flags.keepalive).toBe(false);
  expect(fromFile.flags.pipeline).toBe("4");
  expect(fromFile.headers).toEqual(["X-From: file"]);

  const fromFlags = merged(["--timeout", "4000", "--keepalive", "--pipeline=2"], defaults);
  expect(fromFlags.flags.timeout).toBe("4000");
  expect(fromFlags.flags.keepalive).toBe(true);
  expect(fromFlags.flags.pipeline).toBe("2");

  expect(merged([], {}).flags.timeout).toBe("10000");
});

test("the file's url applies only when no target is given", () => {
  expect(merged([], { url: "http://127.0.0.1:9/" }).flags.url).toBe("http://127.0.0.1:9/");
  const withTarget = merged(["http://127.0.0.1:8/"], { url: "http://127.0.0.1:9/" }).flags;
  expect(withTarget.target).toBe("http://127.0.0.1:8/");
  expect(withTarget.url).toBeUndefined();
});

test("givenFlags knows aliases, kebab names and negations", () => {
  expect([...givenFlags(args, ["-c", "5", "--no-keepalive", "--fail-p99=3", "http://x/"])].sort()).toEqual(["concurrency", "fail-p99", "keepalive"]);
});

test("a closed run with neither -n nor -d goes by time; -n makes it count-bound", () => {
  const plan = (rawArgs: string[]) => closedRun(merged(rawArgs, {}).flags);
  expect(plan([])).toMatchObject({ requests: null, durationS: Number(DEFAULT_CLOSED_DURATION_S) });
  expect(Number(DEFAULT_CLOSED_DURATION_S)).toBeGreaterThanOrEqual(1);
  expect(plan(["-n", "2000"])).toMatchObject({ requests: 2000, durationS: null });
  expect(plan(["-d", "2s"])).toMatchObject({ requests: null, durationS: 2 });
});
