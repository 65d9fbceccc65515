/**
 * One etcd watch: an optional snapshot (its events, then onSynced), then an etcd watch
 * stream from the next revision. It owns its gRPC stream and reconnects by itself,
 * resuming after the last revision it delivered, so a reconnect neither loses nor repeats
 * events. (etcd3's own Watcher resumes from the revision in the creation response's
 * header, which skips history that was still being replayed.) `EtcdStore.watch()` uses it
 * for resources and `EtcdKeyValueStore.watch()` for raw keys; each maps etcd's events to
 * its own event type.
 *
 *   snapshot ──► events… ──► onSynced ──► stream(create_request start=R+1) ──► events…
 *                                              ▲          │ error / end
 *                                              └─backoff──┘  (gives up after reconnectTimeoutMs)
 * @module
 */
import type { Etcd3, IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import type { StoredChange } from '../codec.ts';
import { CompactedError, DatastoreUnavailableError, isRetryable } from '../errors.ts';
import { isStaleAuthToken, translateEtcdError } from './translate-error.ts';

/** Where a watch begins and what it delivers. */
export interface EtcdWatchOptions<E> {
  /** Watch after this revision; without it the watch starts with `snapshot`. */
  revision?: string;
  onEvent(event: E): void;
  /** After the snapshot's events, with its revision (not called when `revision` is given). */
  onSynced?(revision: string): void;
  /** Once, when the watch ends: with the error that ended it, or none after `stop()`. */
  onClosed?(error?: Error): void;
}

/** What a watch needs from its store. */
export interface EtcdWatchDeps<E> {
  client: Etcd3;
  /** The watch in words, for error messages (e.g. `watch IPPool`). */
  what: string;
  /** The watched key, and the end of the range when it is a prefix. */
  range: { key: Buffer; rangeEnd?: Buffer };
  options: EtcdWatchOptions<E>;
  /** Maps one etcd event to a delivered event; undefined skips it. */
  toEvent: (event: IEvent) => E | undefined;
  /** Reads the current state as events and the revision they are from (used without `options.revision`). */
  snapshot?: () => Promise<{ events: E[]; revision: string }>;
  /** Makes the client fetch a new auth token (any unary request does). */
  refreshAuth: () => Promise<void>;
  endpoints: readonly string[];
  reconnectTimeoutMs: number;
  /** Called once when the watch ends, for the store's bookkeeping. */
  onEnd: (watch: EtcdWatch<E>) => void;
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;

/** A resumable etcd watch. */
export class EtcdWatch<E> {
  readonly #deps: EtcdWatchDeps<E>;
  readonly #what: string;
  /** The first revision not yet delivered: where a (re)connected stream starts. */
  #next = 0n;
  #stream: WatchStream | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #backoffMs = INITIAL_BACKOFF_MS;
  /** When the current outage began (no stream confirmed since), or undefined. */
  #outageSince: number | undefined;
  #ended = false;

  constructor(deps: EtcdWatchDeps<E>) {
    this.#deps = deps;
    this.#what = deps.what;
  }

  /** Starts delivering; callbacks always run later, never inside this call. */
  start(): void {
    const { revision } = this.#deps.options;
    const { snapshot: takeSnapshot } = this.#deps;
    if (revision !== undefined || !takeSnapshot) {
      this.#next = BigInt(revision ?? '0') + 1n;
      this.#connect();
      return;
    }
    takeSnapshot().then(
      (snapshot) => {
        for (const event of snapshot.events) {
          if (this.#ended) return;
          this.#emit(event);
        }
        if (this.#ended) return;
        this.#callback(() => this.#deps.options.onSynced?.(snapshot.revision));
        this.#next = BigInt(snapshot.revision) + 1n;
        this.#connect();
      },
      (err: unknown) => void this.#end(translateEtcdError(err, { action: this.#what, endpoints: this.#deps.endpoints })),
    );
  }

  /** Ends the watch (`onClosed` without an error) and resolves once the stream is closed. */
  stop(): Promise<void> {
    return this.#end(undefined);
  }

  #connect(): void {
    if (this.#ended) return;
    this.#outageSince ??= Date.now();
    this.#deps.client.watchClient.watch().then(
      (stream) => {
        if (this.#ended) {
          void closeStream(stream);
          return;
        }
        this.#stream = stream;
        stream.on('data', (res) => this.#onResponse(stream, res));
        stream.on('error', (err) => this.#onStreamFailure(stream, err));
        stream.on('end', () => this.#onStreamFailure(stream, new DatastoreUnavailableError(`Cannot ${this.#what}: etcd ended the watch stream`)));
        stream.write({
          create_request: {
            key: this.#deps.range.key,
            ...(this.#deps.range.rangeEnd && { range_end: this.#deps.range.rangeEnd }),
            start_revision: this.#next.toString(),
            prev_kv: true,
            progress_notify: true,
          },
        });
      },
      (err: unknown) => this.#onStreamFailure(undefined, err),
    );
  }

  #onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (stream !== this.#stream || this.#ended) return;
    if (res.canceled) {
      this.#onCancelled(stream, res);
      return;
    }
    if (res.created) {
      // The stream is up and the watch accepted: the outage, if any, is over.
      this.#outageSince = undefined;
      this.#backoffMs = INITIAL_BACKOFF_MS;
      return;
    }
    if (res.events.length === 0) {
      // A progress notification: everything up to the header revision has been sent.
      const progressed = BigInt(res.header.revision) + 1n;
      if (progressed > this.#next) this.#next = progressed;
      return;
    }
    // All events of one revision arrive in one response, so dropping what is below
    // #next (already delivered before a reconnect) never splits a revision.
    const from = this.#next;
    let next = from;
    for (const ev of res.events) {
      const revision = BigInt(ev.kv.mod_revision);
      if (revision < from) continue;
      if (revision >= next) next = revision + 1n;
      const event = this.#deps.toEvent(ev);
      if (event !== undefined) this.#emit(event);
      if (this.#ended) return;
    }
    this.#next = next;
  }

  #onCancelled(stream: WatchStream, res: IWatchResponse): void {
    this.#dropStream(stream);
    if (res.compact_revision && res.compact_revision !== '0') {
      void this.#end(new CompactedError((this.#next - 1n).toString(), res.compact_revision));
      return;
    }
    const reason = res.cancel_reason || 'no reason given';
    this.#onStreamFailure(undefined, new Error(`etcd cancelled the watch: ${reason}`));
  }

  #onStreamFailure(stream: WatchStream | undefined, err: unknown): void {
    if (this.#ended || (stream && stream !== this.#stream)) return;
    if (stream) this.#dropStream(stream);
    if (isStaleAuthToken(err)) {
      // Tokens expire (etcd's --auth-token-ttl); a unary request renews it, then we resume.
      this.#deps.refreshAuth().then(
        () => this.#scheduleReconnect(),
        (refreshErr: unknown) => void this.#end(translateEtcdError(refreshErr, { action: this.#what, endpoints: this.#deps.endpoints })),
      );
      return;
    }
    const error = translateEtcdError(err, { action: this.#what, endpoints: this.#deps.endpoints, revision: this.#next.toString() });
    if (!isRetryable(error)) {
      void this.#end(error);
      return;
    }
    const down = Date.now() - (this.#outageSince ??= Date.now());
    if (down >= this.#deps.reconnectTimeoutMs) {
      void this.#end(new DatastoreUnavailableError(`Cannot ${this.#what}: etcd at ${this.#deps.endpoints.join(', ')} has been unreachable for ${Math.round(down / 1000)} s: ${error.message}`, { cause: error }));
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#ended) return;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, wait);
  }

  #dropStream(stream: WatchStream): void {
    if (this.#stream === stream) this.#stream = undefined;
    stream.cancel();
  }

  #emit(event: E): void {
    this.#callback(() => this.#deps.options.onEvent(event));
  }

  /**
   * Runs a consumer callback. A throwing callback is a bug in the consumer: it is
   * rethrown outside the gRPC stream's handlers, where it surfaces as an uncaught
   * exception instead of being taken for a stream failure.
   */
  #callback(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      setImmediate(() => {
        throw err;
      });
    }
  }

  /** Ends the watch once: no more events, `onClosed(error)`, the stream cancelled. */
  #end(error: Error | undefined): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    clearTimeout(this.#reconnectTimer);
    const stream = this.#stream;
    this.#stream = undefined;
    const closed = stream ? closeStream(stream) : Promise.resolve();
    this.#deps.onEnd(this);
    this.#callback(() => this.#deps.options.onClosed?.(error));
    return closed;
  }
}

/** An etcd event in the codec's terms. */
export function toStoredChange(ev: IEvent): StoredChange {
  const prev = ev.prev_kv ? { value: ev.prev_kv.value.toString(), modRevision: ev.prev_kv.mod_revision } : undefined;
  const key = ev.kv.key.toString();
  if (ev.type === 'Delete') return { key, type: 'delete', revision: ev.kv.mod_revision, prev };
  return { key, type: 'put', revision: ev.kv.mod_revision, value: ev.kv.value.toString(), createRevision: ev.kv.create_revision, prev };
}

/** Cancels a stream and waits (briefly) until gRPC reports the call finished. */
async function closeStream(stream: WatchStream): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    stream.on('status', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', () => undefined);
    stream.cancel();
  });
  // grpc-js fails a call started in the same tick as a stream's end (see etcd3's watch.ts).
  await new Promise((resolve) => setImmediate(resolve));
}
