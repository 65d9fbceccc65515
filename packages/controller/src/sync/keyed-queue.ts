/**
 * The dynamic sync's work queue: one job per object key (`port:<id>`, `sg:<id>`, …), never two
 * at once for the same key, a burst of requests for a key coalesced into one run after the
 * current one, a bound on jobs in flight overall, and a pause for the resync (requests made
 * while paused run once it resumes).
 * @module
 */

/** Runs the work for one key; the queue catches and reports what it throws. */
export type KeyedJob = (key: string) => Promise<void>;

export interface KeyedQueueOptions {
  run: KeyedJob;
  /** Jobs in flight over all keys (default 16). */
  concurrency?: number;
  /** A job rejected: reported here, the queue goes on. */
  onError?: (key: string, error: unknown) => void;
}

/** A per-key serialising, coalescing work queue. */
export class KeyedQueue {
  readonly #run: KeyedJob;
  readonly #concurrency: number;
  readonly #onError: (key: string, error: unknown) => void;
  /** Keys waiting to run, in request order (a Set keeps one entry per key). */
  readonly #pending = new Set<string>();
  readonly #running = new Set<string>();
  #paused = false;
  #closed = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: KeyedQueueOptions) {
    this.#run = options.run;
    this.#concurrency = options.concurrency ?? 16;
    this.#onError = options.onError ?? (() => {});
  }

  /** Asks for `key`'s job to run (again): once more after a running one, once for any number of requests. */
  request(key: string): void {
    if (this.#closed) return;
    this.#pending.add(key);
    this.#pump();
  }

  /** Stops starting jobs; running ones finish. Requests keep accumulating. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Drops pending requests (a full resync is about to cover them). */
  clear(): void {
    this.#pending.clear();
    this.#notifyIdle();
  }

  /** Requests not yet started. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Resolves when nothing is running and (unless paused) nothing is pending. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops pending work and waits for running jobs; further requests are ignored. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    await this.idle();
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && (this.#pending.size === 0 || this.#paused || this.#closed);
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (this.#paused || this.#closed) return this.#notifyIdle();
    for (const key of this.#pending) {
      if (this.#running.size >= this.#concurrency) break;
      if (this.#running.has(key)) continue;
      this.#pending.delete(key);
      this.#running.add(key);
      void this.#runOne(key);
    }
    this.#notifyIdle();
  }

  async #runOne(key: string): Promise<void> {
    try {
      await this.#run(key);
    } catch (err) {
      this.#onError(key, err);
    } finally {
      this.#running.delete(key);
      this.#pump();
    }
  }
}
