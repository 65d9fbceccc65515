/**
 * Syncer over MemoryStore: snapshot → in-sync → live events, resyncs after a compacted
 * or unavailable watch that emit only the difference, bounded back-off, unreadable
 * values, kind filtering and stopping.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource, ResourceKey } from '@percale/api';
import { CompactedError, DatastoreUnavailableError } from '../errors.ts';
import { MemoryStore } from '../memory/memory-store.ts';
import type { ListOptions, ResourceQuery, Store, WatchOptions, Watcher } from '../store.ts';
import { Syncer, type ResourceEvent, type SyncStatus } from './syncer.ts';

/** A Store whose watches can be made to end with an error, as etcd's would. */
class FlakyStore implements Store {
  readonly inner = new MemoryStore();
  readonly #live = new Set<{ inner: Watcher; options: WatchOptions }>();
  /** Errors the next watch() calls end with at once. */
  failNext: Error[] = [];
  watchCalls = 0;

  get(key: ResourceKey, options?: ListOptions) {
    return this.inner.get(key, options);
  }
  list(query: ResourceQuery, options?: ListOptions) {
    return this.inner.list(query, options);
  }
  create(r: Resource) {
    return this.inner.create(r);
  }
  update(r: Resource) {
    return this.inner.update(r);
  }
  apply(r: Resource) {
    return this.inner.apply(r);
  }
  delete(key: ResourceKey) {
    return this.inner.delete(key);
  }
  close() {
    return this.inner.close();
  }

  watch(query: ResourceQuery, options: WatchOptions): Watcher {
    this.watchCalls++;
    const failure = this.failNext.shift();
    if (failure) {
      queueMicrotask(() => options.onClosed?.(failure));
      return { stop: async () => undefined };
    }
    const entry = { inner: this.inner.watch(query, options), options };
    this.#live.add(entry);
    return {
      stop: async () => {
        this.#live.delete(entry);
        await entry.inner.stop();
      },
    };
  }

  /** Ends every live watch with `error`, as a cancelled etcd watch does. */
  async breakWatches(error: Error): Promise<void> {
    for (const entry of [...this.#live]) {
      this.#live.delete(entry);
      // Stop first: the inner watch's own onClosed(undefined) must not be what the syncer sees.
      const { onClosed } = entry.options;
      entry.options.onClosed = undefined;
      await entry.inner.stop();
      onClosed?.(error);
    }
  }
}

function pool(name: string, cidr = '10.65.0.0/16'): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr } };
}

function wep(ns: string, name: string): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { namespace: ns, name }, spec: { node: 'h1' } };
}

/** Records what a syncer delivers and waits for conditions. */
class Recorder {
  readonly events: ResourceEvent[] = [];
  readonly batches: number[] = [];
  readonly statuses: SyncStatus[] = [];
  readonly errors: { error: Error; retryInMs: number | undefined }[] = [];
  readonly syncer: Syncer;

  constructor(store: Store, options: ConstructorParameters<typeof Syncer>[2] = { minBackoffMs: 5, maxBackoffMs: 40 }) {
    this.syncer = new Syncer(
      store,
      {
        onUpdates: (events) => {
          this.batches.push(events.length);
          this.events.push(...events);
        },
        onStatus: (s) => this.statuses.push(s),
        onError: (error, retryInMs) => this.errors.push({ error, retryInMs }),
      },
      options,
    );
  }

  described(): string[] {
    return this.events.map((e) => {
      const r = e.type === 'DELETED' ? e.previous : e.resource;
      return `${e.type} ${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`;
    });
  }

  async until(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: events ${JSON.stringify(this.described())}, statuses ${JSON.stringify(this.statuses)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

describe('Syncer', () => {
  test('Syncer.start() delivers the snapshot as one batch, then in-sync, then live events', async () => {
    const store = new MemoryStore();
    await store.create(pool('p1'));
    await store.create(wep('openstack', 'h1-openstack-vm1-port1'));
    const rec = new Recorder(store);
    rec.syncer.start();
    await rec.until('in-sync', () => rec.statuses.includes('in-sync'));
    assert.deepEqual(rec.statuses, ['wait-for-datastore', 'resync-in-progress', 'in-sync']);
    assert.deepEqual(rec.batches, [2]);
    assert.deepEqual(rec.described(), ['ADDED IPPool p1', 'ADDED WorkloadEndpoint openstack/h1-openstack-vm1-port1']);

    const p1 = await store.get({ kind: 'IPPool', name: 'p1' });
    await store.update({ ...p1, spec: { cidr: '10.66.0.0/16' } });
    await store.delete({ kind: 'WorkloadEndpoint', namespace: 'openstack', name: 'h1-openstack-vm1-port1' });
    await store.create(pool('p2'));
    await rec.until('3 live events', () => rec.events.length === 5);
    assert.deepEqual(rec.described().slice(2), ['MODIFIED IPPool p1', 'DELETED WorkloadEndpoint openstack/h1-openstack-vm1-port1', 'ADDED IPPool p2']);
    const modified = rec.events[2]!;
    assert.equal(modified.type === 'MODIFIED' && modified.previous?.spec?.cidr, '10.65.0.0/16');
    assert.equal(rec.syncer.size, 2);
    assert.equal(rec.syncer.resyncsStarted, 1);
    await rec.syncer.stop();
    await store.close();
  });

  test('Syncer resyncs after a compacted watch and emits only the difference', async () => {
    const store = new FlakyStore();
    for (let i = 0; i < 50; i++) await store.create(pool(`p${i}`));
    const rec = new Recorder(store);
    rec.syncer.start();
    await rec.until('in-sync', () => rec.statuses.includes('in-sync'));
    assert.equal(rec.events.length, 50);

    // While the watch is down: one change, one delete, one add, then history is compacted away.
    await store.breakWatches(new CompactedError('7', '60'));
    const p3 = await store.get({ kind: 'IPPool', name: 'p3' });
    await store.update({ ...p3, spec: { cidr: '10.99.0.0/16' } });
    await store.delete({ kind: 'IPPool', name: 'p4' });
    await store.create(pool('p50'));
    const { revision } = await store.list({});
    await store.inner.compact(revision);

    await rec.until('resync', () => rec.statuses.filter((s) => s === 'in-sync').length === 2);
    assert.deepEqual(rec.described().slice(50), ['DELETED IPPool p4', 'MODIFIED IPPool p3', 'ADDED IPPool p50']);
    assert.deepEqual(rec.statuses, ['wait-for-datastore', 'resync-in-progress', 'in-sync', 'resync-in-progress', 'in-sync']);
    assert.equal(rec.errors[0]?.error.name, 'CompactedError');
    assert.equal(rec.errors[0]?.retryInMs, 5);
    assert.equal(rec.syncer.resyncsStarted, 2);

    // Live events flow again after the resync.
    await store.delete({ kind: 'IPPool', name: 'p50' });
    await rec.until('live delete', () => rec.events.length === 54);
    assert.equal(rec.described()[53], 'DELETED IPPool p50');
    await rec.syncer.stop();
  });

  test('Syncer retries an unavailable datastore with bounded, doubling back-off and no events', async () => {
    const store = new FlakyStore();
    await store.create(pool('p1'));
    store.failNext = Array.from({ length: 6 }, () => new DatastoreUnavailableError('Cannot watch resources: etcd at http://127.0.0.1:1 is unavailable'));
    const rec = new Recorder(store);
    rec.syncer.start();
    await rec.until('in-sync', () => rec.statuses.includes('in-sync'));
    assert.deepEqual(rec.errors.map((e) => e.retryInMs), [5, 10, 20, 40, 40, 40]);
    assert.deepEqual(rec.statuses, ['wait-for-datastore', 'resync-in-progress', 'in-sync']);
    assert.deepEqual(rec.described(), ['ADDED IPPool p1']);
    assert.equal(store.watchCalls, 7);

    // An outage after in-sync: back to waiting, then a resync with nothing changed emits nothing.
    await store.breakWatches(new DatastoreUnavailableError('etcd went away'));
    await rec.until('second in-sync', () => rec.statuses.filter((s) => s === 'in-sync').length === 2);
    assert.deepEqual(rec.statuses.slice(3), ['wait-for-datastore', 'resync-in-progress', 'in-sync']);
    assert.deepEqual(rec.batches, [1]);
    assert.equal(rec.errors.at(-1)?.retryInMs, 5, 'back-off restarts from the minimum after a successful sync');
    await rec.syncer.stop();
  });

  test('Syncer treats an unreadable stored value as a deletion of what it had', async () => {
    const store = new MemoryStore();
    await store.create(pool('p1'));
    await store.create(pool('p2'));
    const rec = new Recorder(store);
    rec.syncer.start();
    await rec.until('in-sync', () => rec.statuses.includes('in-sync'));
    await store.putRaw('/calico/resources/v3/projectcalico.org/ippools/p1', '{not json');
    await rec.until('deletion', () => rec.events.length === 3);
    assert.deepEqual(rec.described()[2], 'DELETED IPPool p1');
    assert.equal(rec.errors[0]?.error.name, 'CorruptEntryError');
    assert.equal(rec.syncer.size, 1);
    await rec.syncer.stop();
    await store.close();
  });

  test('Syncer delivers only the kinds asked for', async () => {
    const store = new MemoryStore();
    await store.create(pool('p1'));
    await store.create(wep('openstack', 'h1-openstack-vm1-port1'));
    const rec = new Recorder(store, { kinds: ['WorkloadEndpoint'] });
    rec.syncer.start();
    await rec.until('in-sync', () => rec.statuses.includes('in-sync'));
    await store.create(pool('p2'));
    await store.create(wep('openstack', 'h1-openstack-vm2-port2'));
    await rec.until('live add', () => rec.events.length === 2);
    assert.deepEqual(rec.described(), ['ADDED WorkloadEndpoint openstack/h1-openstack-vm1-port1', 'ADDED WorkloadEndpoint openstack/h1-openstack-vm2-port2']);
    await rec.syncer.stop();
    await store.close();
  });

  test('Syncer.stop() ends delivery and cancels a pending retry', async () => {
    const store = new FlakyStore();
    store.failNext = [new DatastoreUnavailableError('down')];
    const rec = new Recorder(store, { minBackoffMs: 50 });
    rec.syncer.start();
    await rec.until('first failure', () => rec.errors.length === 1);
    await rec.syncer.stop();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(store.watchCalls, 1);
    await store.create(pool('p1'));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(rec.events, []);
  });
});
