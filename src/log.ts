import { createConsola } from "consola";

/**
 * Every log line goes to stderr, whatever its level: stdout carries only `--json` documents and
 * the server's `listening on` line, so `minibench bench … --json | jq` always works.
 */
export const log = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: false },
});
