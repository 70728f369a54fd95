/**
 * The first answer of a Worker, or a clear failure: its `error` event, or silence past a deadline.
 * A Worker whose module cannot be loaded (a build that left its file out) may fire no error at
 * all, and waiting for it forever would hang the command without a word.
 */
export function workerReply<T>(worker: Worker, what: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`))), timeoutMs);
    const onMessage = (event: MessageEvent<T>) => finish(() => resolve(event.data));
    const onError = (event: ErrorEvent) => finish(() => reject(new Error(`${what} failed: ${event.message}`)));
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
      settle();
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
  });
}
