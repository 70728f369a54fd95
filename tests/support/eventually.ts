/** How often a condition is looked at: often enough to add little to a test, rarely enough to cost nothing. */
const POLL_MS = 5;

/**
 * Resolves as soon as `condition()` holds, looking every few milliseconds; rejects naming `what`
 * once `timeoutMs` passed without it. For waits on state that something else changes (a server's
 * connection count, a socket's close): a fixed sleep would be either slow or flaky on a busy host.
 */
export async function eventually(condition: () => boolean, timeoutMs = 3000, what = "the condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(POLL_MS);
  }
}
