/**
 * `EndpointStatusReporter`: per-endpoint `{"status":"up"|"down"}` keys for the Neutron
 * driver (Felix's `statusrep`). The dataplane says what each local endpoint's status is;
 * the reporter queues a write or delete per changed key and drains the queue at one
 * operation per EndpointReportingDelaySecs (plus 0–10 % jitter), a failed operation staying
 * at the head. Once the dataplane is in sync it also lists its own keys every 180 × delay
 * and queues a fix for any stored key that differs from what it knows, stale keys of
 * endpoints that are gone included.
 * @module
 */
import type { KeyValueStore } from '@percale/datastore';
import type { Logger } from '@percale/daemon';
import { endpointStatusKey, endpointStatusPrefix, type EndpointStatusID } from './status-keys.ts';

/** A local endpoint's combined status (`error` beats `down` beats `up`). */
export type EndpointStatus = 'up' | 'down' | 'error';

export interface EndpointStatusReporterOptions {
  kv: KeyValueStore;
  hostname: string;
  region: string;
  /** EndpointReportingDelaySecs, in milliseconds. */
  delayMs: number;
  /** Self-repair period in multiples of the delay (Felix: 180). */
  resyncFactor?: number;
  /** 0–1 source of jitter (default `Math.random`). */
  random?: () => number;
  log: Logger;
}

/** Rate-limited writer of per-endpoint status keys with periodic self-repair. */
export class EndpointStatusReporter {
  readonly #o: EndpointStatusReporterOptions;
  readonly #random: () => number;
  /** What the keys should say, by key; absent = no key. */
  readonly #desired = new Map<string, string>();
  /** Keys whose stored value may differ from `#desired`, in arrival order. */
  readonly #queue = new Set<string>();
  #writeTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #lastWriteAt = -Infinity;
  #busy = false;
  #running = false;
  #inSync = false;
  /** Writes and deletes done, for metrics and tests. */
  operations = 0;

  constructor(options: EndpointStatusReporterOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** Starts draining the queue. */
  start(): void {
    this.#running = true;
    this.#kick();
  }

  /** Sets (or, with undefined, clears) one endpoint's status. */
  setStatus(id: EndpointStatusID, status: EndpointStatus | undefined): void {
    const key = endpointStatusKey(this.#o.region, this.#o.hostname, id);
    const value = status === undefined ? undefined : JSON.stringify({ status });
    if (this.#desired.get(key) === value) return;
    if (value === undefined) this.#desired.delete(key);
    else this.#desired.set(key, value);
    this.#queue.add(key);
    this.#kick();
  }

  /**
   * The dataplane has applied its first full state: from now on the reporter repairs stale
   * keys (before this, a missing endpoint may simply not have been heard of yet).
   */
  markInSync(): void {
    if (this.#inSync) return;
    this.#inSync = true;
    void this.#resync();
  }

  /** Stops writing; pending operations are dropped (the next start repairs them). */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#writeTimer);
    clearTimeout(this.#resyncTimer);
    while (this.#busy) await new Promise((r) => setTimeout(r, 5));
  }

  /** The number of keys waiting to be written or deleted. */
  get pending(): number {
    return this.#queue.size;
  }

  #interval(base: number): number {
    return base * (1 + 0.1 * this.#random());
  }

  #kick(): void {
    if (!this.#running || this.#busy || this.#writeTimer || this.#queue.size === 0) return;
    const wait = Math.max(0, this.#lastWriteAt + this.#interval(this.#o.delayMs) - performance.now());
    this.#writeTimer = setTimeout(() => {
      this.#writeTimer = undefined;
      void this.#writeOne();
    }, wait);
    this.#writeTimer.unref();
  }

  async #writeOne(): Promise<void> {
    const key = this.#queue.values().next().value;
    if (key === undefined || !this.#running) return;
    this.#busy = true;
    this.#lastWriteAt = performance.now();
    const value = this.#desired.get(key);
    try {
      if (value === undefined) await this.#o.kv.delete(key);
      else await this.#o.kv.put(key, value);
      this.operations++;
      // Only done if nothing changed meanwhile; otherwise the key stays queued.
      if (this.#desired.get(key) === value) this.#queue.delete(key);
    } catch (err) {
      this.#o.log.warn('Failed to write endpoint status; will retry', { key, error: err });
    } finally {
      this.#busy = false;
    }
    this.#kick();
  }

  async #resync(): Promise<void> {
    if (!this.#running) return;
    const prefix = endpointStatusPrefix(this.#o.region, this.#o.hostname);
    try {
      const stored = new Map((await this.#o.kv.list(prefix)).map((e) => [e.key, e.value]));
      let fixes = 0;
      for (const [key, value] of stored) {
        if (this.#desired.get(key) !== value && !this.#queue.has(key)) {
          this.#queue.add(key);
          fixes++;
        }
      }
      for (const key of this.#desired.keys()) {
        if (!stored.has(key) && !this.#queue.has(key)) {
          this.#queue.add(key);
          fixes++;
        }
      }
      if (fixes > 0) this.#o.log.info('Endpoint status resync queued fixes', { count: fixes });
      this.#kick();
    } catch (err) {
      this.#o.log.warn('Failed to list endpoint status keys for resync', { prefix, error: err });
    }
    if (!this.#running) return;
    this.#resyncTimer = setTimeout(() => void this.#resync(), this.#interval(this.#o.delayMs * (this.#o.resyncFactor ?? 180)));
    this.#resyncTimer.unref();
  }
}
