/**
 * `PortStatusQueue`: turns the endpoint statuses Felix reports into Neutron agent RPCs
 * (spec §8.4), with networking-calico's queueing rules: a cache of the latest status per
 * (host, port), a priority queue of keys to send (live changes before snapshot replays,
 * retries last), a bounded number of concurrent senders, and a retry after a delay when
 * Neutron fails. The status sent is read from the cache when the key is sent, so a port
 * that changes while queued is sent once, with its latest status.
 *
 * Percale reports through the agent RPC, which can only say up (`update_device_up`, Neutron
 * sets ACTIVE) or down (`update_device_down`, DOWN); networking-calico writes the port
 * status directly and uses ERROR for `error` and for endpoints that are gone. Here those
 * become DOWN.
 * @module
 */
import type { Logger } from '@percale/daemon';
import type { NeutronAgentRpc } from '../neutron/types.ts';

/** Why a key is queued; lower goes first. */
export const PRIORITY = { live: 0, snapshot: 1, retry: 2 } as const;
export type PortStatusPriority = (typeof PRIORITY)[keyof typeof PRIORITY];

/** The endpoint statuses Felix writes; anything else is an error in the data. */
export type FelixEndpointStatus = 'up' | 'down' | 'error';

/** networking-calico's `num_port_status_threads`. */
export const DEFAULT_PORT_STATUS_WORKERS = 4;
/** networking-calico's PORT_UPDATE_RETRY_DELAY_SECS, in ms. */
export const DEFAULT_PORT_STATUS_RETRY_MS = 5_000;
/** Queue length that triggers a (rate-limited) warning, and the interval between warnings. */
const QUEUE_WARN_LENGTH = 10;
const QUEUE_WARN_INTERVAL_MS = 10_000;

export interface PortStatusQueueOptions {
  rpc: NeutronAgentRpc;
  /** Concurrent RPCs (default 4). */
  workers?: number;
  /** Wait before retrying a failed RPC (default 5 s). */
  retryDelayMs?: number;
  log: Logger;
  /** Clock for the warning rate limit (default Date.now). */
  now?: () => number;
}

interface Queued {
  id: string;
  priority: PortStatusPriority;
  seq: number;
}

/** Counters, for logs and tests. */
export interface PortStatusCounters {
  sentUp: number;
  sentDown: number;
  failures: number;
}

/** The endpoint-status → Neutron pipeline of one master. */
export class PortStatusQueue {
  readonly #rpc: NeutronAgentRpc;
  readonly #workers: number;
  readonly #retryDelayMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  /** What Felix last said per `host\0port`; missing = gone or unknown. */
  readonly #cache = new Map<string, FelixEndpointStatus>();
  readonly #heap: Queued[] = [];
  /** The best priority each queued id is waiting at (heap entries with another priority are stale). */
  readonly #queued = new Map<string, PortStatusPriority>();
  readonly #inFlight = new Set<string>();
  /** Ids updated while their RPC was running: queued again when it finishes. */
  readonly #again = new Map<string, PortStatusPriority>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  #seq = 0;
  #lastQueueWarning = -Infinity;
  #stopped = false;
  readonly counters: PortStatusCounters = { sentUp: 0, sentDown: 0, failures: 0 };

  constructor(options: PortStatusQueueOptions) {
    const workers = options.workers ?? DEFAULT_PORT_STATUS_WORKERS;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`Cannot report port status with ${workers} workers: need a whole number, at least 1`);
    this.#rpc = options.rpc;
    this.#workers = workers;
    this.#retryDelayMs = options.retryDelayMs ?? DEFAULT_PORT_STATUS_RETRY_MS;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /** Keys waiting to be sent. */
  get length(): number {
    return this.#queued.size;
  }

  /**
   * Records what Felix says about a port (`undefined`: its status key is gone or unreadable)
   * and queues it for Neutron: always for a live change, and for a snapshot replay only
   * when it differs from what we knew (networking-calico's `on_port_status_changed`).
   */
  update(host: string, portId: string, status: unknown, priority: typeof PRIORITY.live | typeof PRIORITY.snapshot): void {
    if (this.#stopped) return;
    const id = `${host}\0${portId}`;
    const known = this.#cache.get(id);
    if (priority !== PRIORITY.live && status === known) return;
    if (status === 'up' || status === 'down' || status === 'error') {
      this.#cache.set(id, status);
    } else {
      if (status !== undefined) this.#log.error(`Unknown endpoint status ${JSON.stringify(status)} for port ${portId} on host ${host}; reporting the port down`);
      this.#cache.delete(id);
    }
    this.#enqueue(id, priority);
  }

  /** Stops sending: pending retries are dropped; resolves once running RPCs have finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#heap.length = 0;
    this.#queued.clear();
    this.#again.clear();
    await Promise.all(this.#running);
  }

  /** Resolves when nothing is queued, running or waiting to be retried (tests). */
  async idle(): Promise<void> {
    while (this.#queued.size > 0 || this.#running.size > 0 || this.#retryTimers.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #enqueue(id: string, priority: PortStatusPriority): void {
    if (this.#inFlight.has(id)) {
      const pending = this.#again.get(id);
      this.#again.set(id, pending === undefined ? priority : (Math.min(pending, priority) as PortStatusPriority));
      return;
    }
    const queuedAt = this.#queued.get(id);
    if (queuedAt !== undefined && queuedAt <= priority) return;
    this.#queued.set(id, priority);
    push(this.#heap, { id, priority, seq: this.#seq++ });
    if (this.#queued.size > QUEUE_WARN_LENGTH && this.#now() - this.#lastQueueWarning >= QUEUE_WARN_INTERVAL_MS) {
      this.#lastQueueWarning = this.#now();
      this.#log.warn(`Port status queue length is ${this.#queued.size}: Neutron is not keeping up with endpoint status changes`);
    }
    this.#pump();
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#workers) {
      const next = this.#take();
      if (next === undefined) return;
      this.#inFlight.add(next);
      const run = this.#send(next).finally(() => {
        this.#running.delete(run);
        this.#inFlight.delete(next);
        const again = this.#again.get(next);
        if (again !== undefined) {
          this.#again.delete(next);
          this.#enqueue(next, again);
        }
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  /** The next live id from the heap, skipping entries superseded by a better priority. */
  #take(): string | undefined {
    for (;;) {
      const top = pop(this.#heap);
      if (!top) return undefined;
      if (this.#queued.get(top.id) !== top.priority) continue;
      this.#queued.delete(top.id);
      return top.id;
    }
  }

  async #send(id: string): Promise<void> {
    const [host, portId] = id.split('\0') as [string, string];
    const up = this.#cache.get(id) === 'up';
    try {
      if (up) await this.#rpc.deviceUp(portId, host);
      else await this.#rpc.deviceDown(portId, host);
      if (up) this.counters.sentUp++;
      else this.counters.sentDown++;
      this.#log.debug(`Reported port ${portId} on host ${host} ${up ? 'up' : 'down'} to Neutron`);
    } catch (err) {
      this.counters.failures++;
      if (this.#stopped) return;
      this.#log.warn(`Failed to report port ${portId} on host ${host} ${up ? 'up' : 'down'} to Neutron; retrying in ${this.#retryDelayMs / 1000} s`, {
        error: err instanceof Error ? err.message : String(err),
      });
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        this.#enqueue(id, PRIORITY.retry);
      }, this.#retryDelayMs);
      this.#retryTimers.add(timer);
    }
  }
}

// A binary min-heap on (priority, seq): equal priorities keep arrival order.
function before(a: Queued, b: Queued): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function push(heap: Queued[], item: Queued): void {
  heap.push(item);
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Queued[]): Queued | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || !last) return top;
  heap[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let best = i;
    if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
    if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
    if (best === i) break;
    [heap[i], heap[best]] = [heap[best]!, heap[i]!];
    i = best;
  }
  return top;
}
