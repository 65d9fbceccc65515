/**
 * The clock and timer seam of the host-networking drivers (Felix's timeshim): grace periods,
 * refresh intervals and restart back-off read time and schedule work only through `Timers`,
 * so tests drive them with a fake.
 * @module
 */

/** A clock plus one-shot timers. */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** The real clock (`performance.now()`) and Node's timers. Timers do not keep the process alive. */
export const realTimers: Timers = {
  now: () => performance.now(),
  after(ms, fn) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return () => clearTimeout(handle);
  },
};
