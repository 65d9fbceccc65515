/**
 * A test helper that runs a `Store.watch` and records what it delivers, so tests can
 * wait for a number of events, for `onSynced` or for `onClosed` with a deadline.
 * @module
 */
import type { ResourceQuery, Store, WatchEvent, Watcher } from '../store.ts';

/** Everything one watch delivered, in order, with ways to wait for more. */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  /** Revisions passed to `onSynced`, in order (at most one for a well-behaved store). */
  readonly synced: string[] = [];
  /** Arguments of each `onClosed` call (a well-behaved store calls it once). */
  readonly closed: (Error | undefined)[] = [];
  readonly #watcher: Watcher;
  #waiters: (() => void)[] = [];

  constructor(store: Store, query: ResourceQuery, revision?: string) {
    const notify = () => {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    };
    this.#watcher = store.watch(query, {
      ...(revision !== undefined && { revision }),
      onEvent: (event) => {
        this.events.push(event);
        notify();
      },
      onSynced: (rev) => {
        this.synced.push(rev);
        notify();
      },
      onClosed: (error) => {
        this.closed.push(error);
        notify();
      },
    });
  }

  /** Resolves once `predicate` holds; rejects with a description of what arrived after `timeoutMs`. */
  async until(what: string, predicate: (r: WatchRecorder) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; got events ${JSON.stringify(this.summary())}, synced ${JSON.stringify(this.synced)}, closed ${JSON.stringify(this.closed.map((e) => e?.message ?? null))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until at least `n` events have arrived. */
  async waitForEvents(n: number, timeoutMs?: number): Promise<WatchEvent[]> {
    await this.until(`${n} events`, (r) => r.events.length >= n, timeoutMs);
    return this.events;
  }

  /** Waits for `onSynced` and returns its revision. */
  async whenSynced(timeoutMs?: number): Promise<string> {
    await this.until('onSynced', (r) => r.synced.length > 0, timeoutMs);
    return this.synced[0]!;
  }

  /** Waits for `onClosed` and returns its error. */
  async whenClosed(timeoutMs?: number): Promise<Error | undefined> {
    await this.until('onClosed', (r) => r.closed.length > 0, timeoutMs);
    return this.closed[0];
  }

  /** The events as `TYPE kind/name@revision` strings: compact and easy to compare. */
  summary(): string[] {
    return this.events.map(describeEvent);
  }

  stop(): Promise<void> {
    return this.#watcher.stop();
  }
}

/** `ADDED IPPool/pool-1` style description of one event. */
export function describeEvent(event: WatchEvent): string {
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
      return `${event.type} ${event.resource.kind}/${nameOf(event.resource.metadata)}`;
    case 'DELETED':
      return `DELETED ${event.previous.kind}/${nameOf(event.previous.metadata)}`;
    case 'ERROR':
      return `ERROR ${event.error.message.slice(0, 200)}`;
  }
}

function nameOf(meta: { namespace?: string; name?: string }): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : `${meta.name}`;
}
