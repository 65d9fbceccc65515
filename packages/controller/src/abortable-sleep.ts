/**
 * The pause between retries and refreshes of the controller's long-running loops (leader
 * election, status bridge): it ends early when the loop is stopped, so `stop()` never waits
 * out a backoff.
 * @module
 */

/** Resolves after `ms`, or at once (without error) when `signal` aborts; leaves no timer or listener behind. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
