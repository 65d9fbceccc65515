/**
 * EtcdStore against a real etcd (one private server for this file, data on tmpfs): the
 * Store conformance suite, then what only etcd shows — connection failures, watches
 * that survive a dropped connection, and option checking.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { isCompacted, isUnavailable } from '../errors.ts';
import { runStoreConformance, WatchRecorder } from '../testing/index.ts';
import { EtcdStore, prefixRangeEnd } from './etcd-store.ts';
import { freePort, startLocalEtcd, type LocalEtcd } from './local-server.ts';

let etcd: LocalEtcd | undefined;
let admin: Etcd3 | undefined;

before(async () => {
  etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-test-${randomUUID()}`, removeDataOnStop: true });
  admin = new Etcd3({ hosts: etcd.endpoint });
});

after(async () => {
  admin?.close();
  await etcd?.stop();
});

function endpoint(): string {
  assert.ok(etcd, 'etcd did not start');
  return etcd.endpoint;
}

function pool(name: string) {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr: '10.65.0.0/16' } };
}

runStoreConformance({
  name: 'EtcdStore',
  newStore: async () => {
    await admin!.delete().all();
    return new EtcdStore({ endpoints: [endpoint()], dialTimeoutMs: 5_000 });
  },
  putRaw: async (_store, key, value) => {
    await admin!.put(key).value(value);
  },
  getRaw: async (_store, key) => (await admin!.get(key).string()) ?? undefined,
  compact: (store, revision) => store.compact(revision),
});

/**
 * A TCP relay between the store and etcd that can cut every connection and refuse new
 * ones for a while: a network partition as the client sees it.
 */
class Partition {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  port = 0;

  constructor(target: URL) {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  heal(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

void describe('EtcdStore (etcd only)', () => {
  void test('prefixRangeEnd() is the first key after every key with the prefix', () => {
    const cases: [number[], number[]][] = [
      [[0x61, 0x2f], [0x61, 0x30]],
      [[0x61, 0xff], [0x62]],
      [[0xff, 0xff], [0x00]],
    ];
    for (const [prefix, end] of cases) assert.deepEqual([...prefixRangeEnd(Buffer.from(prefix))], end);
  });

  void test('get() on an unreachable endpoint fails with DatastoreUnavailableError naming it, within the dial timeout', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const store = new EtcdStore({ endpoints: [dead], dialTimeoutMs: 1_000 });
    try {
      const started = Date.now();
      const err = await store.get({ kind: 'IPPool', name: 'p' }).then(() => undefined, (e: unknown) => e as Error);
      const took = Date.now() - started;
      assert.ok(isUnavailable(err), String(err));
      assert.ok(err.message.includes(dead), err.message);
      assert.ok(err.message.startsWith('Cannot get IPPool(p): '), err.message);
      assert.ok(took < 1_500, `took ${took} ms`);
    } finally {
      await store.close();
    }
  });

  void test('watch() survives a dropped connection without missing or repeating events', async () => {
    const partition = new Partition(new URL(endpoint()));
    const store = new EtcdStore({ endpoints: [await partition.listen()], dialTimeoutMs: 5_000 });
    const w = new WatchRecorder(store, { kind: 'IPPool' });
    try {
      await admin!.delete().all();
      await w.whenSynced();
      await store.create(pool('before'));
      await w.waitForEvents(1);
      partition.cut();
      // Written past the partition, straight into etcd.
      await admin!.put('/calico/resources/v3/projectcalico.org/ippools/during-1').value(JSON.stringify(pool('during-1')));
      await admin!.put('/calico/resources/v3/projectcalico.org/ippools/during-2').value(JSON.stringify(pool('during-2')));
      await delay(300);
      partition.heal();
      await store.create(pool('after'));
      await w.waitForEvents(4);
      await delay(100);
      assert.deepEqual(w.summary(), ['ADDED IPPool/before', 'ADDED IPPool/during-1', 'ADDED IPPool/during-2', 'ADDED IPPool/after']);
      assert.deepEqual(w.closed, []);
    } finally {
      await w.stop();
      await store.close();
      await partition.close();
    }
  });

  void test('watch() ends with DatastoreUnavailableError when etcd stays unreachable past watchReconnectTimeoutMs', async () => {
    const partition = new Partition(new URL(endpoint()));
    const store = new EtcdStore({ endpoints: [await partition.listen()], dialTimeoutMs: 1_000, watchReconnectTimeoutMs: 1_000 });
    const w = new WatchRecorder(store, { kind: 'IPPool' });
    try {
      await w.whenSynced();
      partition.cut();
      const error = await w.whenClosed(10_000);
      assert.ok(isUnavailable(error), String(error));
      assert.match(error.message, /^Cannot watch IPPool: etcd at http:\/\/127\.0\.0\.1:\d+ has been unreachable for \d+ s: /);
    } finally {
      await w.stop();
      await store.close();
      await partition.close();
    }
  });

  void test('list() reads a reply larger than gRPC\'s default 4 MiB message limit', async () => {
    await admin!.delete().all();
    const store = new EtcdStore({ endpoints: [endpoint()] });
    try {
      // Five values of about 1 MiB each (etcd accepts requests up to 1.5 MiB).
      const names = ['big-1', 'big-2', 'big-3', 'big-4', 'big-5'];
      for (const name of names) await store.create({ ...pool(name), metadata: { name, annotations: { padding: 'x'.repeat(1 << 20) } } });
      assert.deepEqual((await store.list({ kind: 'IPPool' })).items.map((r) => r.metadata.name), names);
    } finally {
      await store.close();
    }
  });

  void test('compact() refuses a revision already compacted, and get() refuses a revision not reached yet', async () => {
    await admin!.delete().all();
    const store = new EtcdStore({ endpoints: [endpoint()] });
    try {
      const created = await store.create(pool('p'));
      await store.compact(created.metadata.resourceVersion!);
      assert.ok(isCompacted(await store.compact(created.metadata.resourceVersion!).catch((e: unknown) => e)));
      const future = String(BigInt(created.metadata.resourceVersion!) + 1000n);
      await assert.rejects(store.get({ kind: 'IPPool', name: 'p' }, { revision: future }), RangeError);
    } finally {
      await store.close();
    }
  });

  void test('EtcdStore() rejects contradictory or unusable options', () => {
    const cases: [string, ConstructorParameters<typeof EtcdStore>[0], RegExp][] = [
      ['no endpoints', { endpoints: [] }, /no endpoints/],
      ['user without password', { endpoints: ['http://127.0.0.1:2379'], username: 'root' }, /username and password must be given together/],
      ['files and inline PEM', { endpoints: ['https://127.0.0.1:2379'], tls: { caFile: '/x', cert: 'PEM' } }, /either as files or inline/],
      ['certificate without key', { endpoints: ['https://127.0.0.1:2379'], tls: { cert: 'PEM' } }, /needs its key/],
      ['missing CA file', { endpoints: ['https://127.0.0.1:2379'], tls: { caFile: '/nonexistent/ca.pem' } }, /Cannot read the etcd CA file "\/nonexistent\/ca\.pem"/],
    ];
    for (const [what, options, message] of cases) assert.throws(() => new EtcdStore(options), message, what);
  });

  void test('close() makes later operations fail', async () => {
    const store = new EtcdStore({ endpoints: [endpoint()] });
    await store.close();
    await assert.rejects(store.list({ kind: 'IPPool' }), /EtcdStore has been closed/);
    assert.throws(() => store.watch({}, { onEvent: () => undefined }), /EtcdStore has been closed/);
  });
});
