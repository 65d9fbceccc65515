/**
 * `LeaderElector` against `MemoryKeyValueStore` (failures injected by a partitionable
 * wrapper) and against a private etcd, where a master is a child process killed with
 * SIGKILL so that it neither steps down nor refreshes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@percale/daemon';
import { DatastoreUnavailableError, EtcdStore, MemoryKeyValueStore, startLocalEtcd, type KeyValueStore, type LocalEtcd } from '@percale/datastore';
import { electionKey, LeaderElector, LEGACY_ELECTION_KEY, type LeaderElectorOptions } from './leader-elector.ts';

const KEY = electionKey('region-test');
const FAST = { ttlSeconds: 2, refreshSeconds: 0.5, restartDelayMs: () => 200 } as const;

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
  return Date.now() - start;
}

/** A store whose every call fails while the connection is cut, as for a partitioned controller. */
function partitionable(kv: KeyValueStore): { kv: KeyValueStore; cut(): void } {
  let cut = false;
  const wrapped = new Proxy(kv, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (cut) return Promise.reject(new DatastoreUnavailableError('Cannot reach etcd: partitioned by the test'));
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'grantLease') {
          // Leases handed out must fail too once the connection is cut.
          return (result as Promise<{ keepAlive(): Promise<boolean>; revoke(): Promise<void> }>).then((lease) => ({
            ...lease,
            keepAlive: () => (cut ? Promise.reject(new DatastoreUnavailableError('partitioned')) : lease.keepAlive()),
            revoke: () => (cut ? Promise.reject(new DatastoreUnavailableError('partitioned')) : lease.revoke()),
          }));
        }
        return result;
      };
    },
  });
  return { kv: wrapped, cut: () => void (cut = true) };
}

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (msg) => void warnings.push(msg), error: (msg) => void warnings.push(msg) };
}

describe('LeaderElector (MemoryKeyValueStore)', () => {
  const started: LeaderElector[] = [];
  const elector = (options: Partial<LeaderElectorOptions> & { kv: KeyValueStore }) => {
    const e = new LeaderElector({ regionString: 'region-test', ...FAST, ...options });
    started.push(e);
    return e;
  };
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((e) => e.stop()));
  };

  test('LeaderElector() rejects a non-positive interval, a TTL not above it, and a bad name', () => {
    const kv = new MemoryKeyValueStore();
    const cases: [Partial<LeaderElectorOptions>, ErrorConstructor][] = [
      [{ refreshSeconds: 0 }, RangeError],
      [{ refreshSeconds: -1 }, RangeError],
      [{ ttlSeconds: 10, refreshSeconds: 10 }, RangeError],
      [{ ttlSeconds: 5, refreshSeconds: 10 }, RangeError],
      [{ ttlSeconds: 2.5, refreshSeconds: 1 }, RangeError],
      [{ electorName: '' }, TypeError],
      [{ electorName: 'host:1' }, TypeError],
    ];
    for (const [options, error] of cases) {
      assert.throws(() => new LeaderElector({ kv, regionString: 'no-region', ...options }), error, JSON.stringify(options));
    }
    const ok = new LeaderElector({ kv, regionString: 'no-region', electorName: 'ctl-1', pid: 42 });
    assert.equal(ok.id, 'ctl-1:42');
    assert.equal(ok.key, '/calico/openstack/v2/no-region/neutron_election');
  });

  test('start() on two electors makes exactly one the master, writing its id to both keys on one lease', async () => {
    const kv = new MemoryKeyValueStore();
    const a = elector({ kv, electorName: 'ctl-a', pid: 101 });
    const b = elector({ kv, electorName: 'ctl-b', pid: 102 });
    a.start();
    b.start();
    await until('a master', () => a.isLeader() || b.isLeader());
    await delay(1_200); // several refreshes and restarts: still exactly one
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1);
    const master = a.isLeader() ? a : b;
    const k12 = await kv.get(KEY);
    const k13 = await kv.get(LEGACY_ELECTION_KEY);
    assert.equal(k12?.value, master.id);
    assert.equal(k13?.value, master.id);
    assert.ok(k12?.lease && k12.lease === k13?.lease, 'both keys on the same lease');
    await stopAll();
  });

  test('stop() on the master deletes its key so that the standby leads within a second', async () => {
    const kv = new MemoryKeyValueStore();
    const a = elector({ kv, electorName: 'ctl-a', pid: 101 });
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector({ kv, electorName: 'ctl-b', pid: 102 });
    const changes: string[] = [];
    a.on('follower', () => changes.push('a follower'));
    b.on('leader', () => changes.push('b leader'));
    b.start();
    await delay(300); // b is watching
    const stoppedAt = Date.now();
    await a.stop();
    assert.equal(a.isLeader(), false);
    const takeover = await until('b leads', () => b.isLeader(), 1_000);
    assert.ok(Date.now() - stoppedAt < 1_000, `takeover took ${takeover} ms`);
    assert.deepEqual(changes, ['a follower', 'b leader']);
    assert.equal((await kv.get(KEY))?.value, 'ctl-b:102');
    await stopAll();
    assert.equal(await kv.get(KEY), undefined, 'the last master leaves no key behind');
    assert.equal(await kv.get(LEGACY_ELECTION_KEY), undefined, 'the legacy key goes with the lease');
  });

  test('a partitioned master steps down and the standby takes over when its lease expires', async () => {
    const store = new MemoryKeyValueStore();
    const partition = partitionable(store);
    const log = recordingLog();
    const a = elector({ kv: partition.kv, electorName: 'ctl-a', pid: 101, log });
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector({ kv: store, electorName: 'ctl-b', pid: 102 });
    b.start();
    await delay(300);
    let aFollower = false;
    a.on('follower', () => (aFollower = true));
    partition.cut();
    const cutAt = Date.now();
    await until('a steps down', () => aFollower, 2_000);
    assert.equal(a.isLeader(), false);
    assert.ok(log.warnings.some((w) => w.startsWith('Failed to refresh the master role')), log.warnings.join('\n'));
    await until('b leads', () => b.isLeader(), 4_000);
    const takeover = Date.now() - cutAt;
    assert.ok(takeover <= 2_000 + 700, `takeover ${takeover} ms should be within the 2 s TTL of the last refresh`);
    assert.equal((await store.get(KEY))?.value, 'ctl-b:102');
    await stopAll();
  });

  test('a master whose key is overwritten steps down at its next refresh', async () => {
    const kv = new MemoryKeyValueStore();
    const a = elector({ kv, electorName: 'ctl-a', pid: 101, restartDelayMs: () => 60_000 });
    a.start();
    await until('a leads', () => a.isLeader());
    await kv.put(KEY, 'intruder:7', { ttlSeconds: 60 });
    await until('a steps down', () => !a.isLeader(), 1_500);
    assert.equal((await kv.get(KEY))?.value, 'intruder:7');
    await stopAll();
    assert.equal((await kv.get(KEY))?.value, 'intruder:7', 'stop() deletes only our own value');
  });

  const staleCases: { name: string; value: string; alive: boolean; leads: boolean; warns?: string }[] = [
    { name: 'a dead PID on this host: the stale key is deleted and we lead', value: 'ctl-a:999', alive: false, leads: true },
    { name: 'a live PID on this host: the master is left alone', value: 'ctl-a:999', alive: true, leads: false },
    { name: 'another host: no PID check', value: 'ctl-z:999', alive: false, leads: false },
    { name: 'an unparseable value: a warning only', value: 'not-an-id', alive: false, leads: false, warns: 'Unable to parse master ID "not-an-id"' },
  ];
  for (const c of staleCases) {
    test(`start() with a master key of ${c.name}`, async () => {
      const kv = new MemoryKeyValueStore();
      await kv.put(KEY, c.value, { ttlSeconds: 60 });
      const checked: number[] = [];
      const log = recordingLog();
      const a = elector({ kv, electorName: 'ctl-a', pid: 101, log, processExists: (pid) => (checked.push(pid), c.alive) });
      a.start();
      if (c.leads) {
        const t = await until('a leads', () => a.isLeader(), 1_000);
        assert.ok(t < 1_000, `took ${t} ms, well before the 60 s TTL`);
        assert.deepEqual(checked, [999]);
      } else {
        await delay(500);
        assert.equal(a.isLeader(), false);
        assert.equal((await kv.get(KEY))?.value, c.value);
      }
      if (c.warns) assert.ok(log.warnings.includes(c.warns), log.warnings.join('\n'));
      await stopAll();
    });
  }

  test('a stale-key delete that loses a race restarts the election instead of leading', async () => {
    const kv = new MemoryKeyValueStore();
    await kv.put(KEY, 'ctl-a:999', { ttlSeconds: 60 });
    let first = true;
    const a = elector({
      kv,
      electorName: 'ctl-a',
      pid: 101,
      processExists: () => {
        // Someone else replaces the dead master's key between our read and our delete.
        if (first) void kv.put(KEY, 'ctl-b:5', { ttlSeconds: 60 });
        first = false;
        return false;
      },
    });
    a.start();
    await delay(500);
    assert.equal(a.isLeader(), false);
    assert.equal((await kv.get(KEY))?.value, 'ctl-b:5');
    await stopAll();
  });
});

describe('LeaderElector (etcd)', () => {
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore | undefined;
  const children: ChildProcess[] = [];
  const electors: LeaderElector[] = [];
  before(async () => {
    etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-election-test-${randomUUID()}`, removeDataOnStop: true });
    store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 3_000 });
  });
  after(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await etcd?.stop();
  });

  /** A controller in its own process, reporting its role changes. */
  function spawnElector(name: string): ChildProcess & { roles: string[] } {
    const script = fileURLToPath(new URL('./testdata/elector-child.ts', import.meta.url));
    const child = spawn(process.execPath, [script, etcd!.endpoint, name, '2', '0.5'], { stdio: ['ignore', 'pipe', 'inherit'] }) as ChildProcess & { roles: string[] };
    child.roles = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => child.roles.push(...chunk.split('\n').filter(Boolean)));
    children.push(child);
    return child;
  }

  const local = (name: string, pid: number) => {
    const e = new LeaderElector({ kv: store!.keyValues(), regionString: 'region-test', electorName: name, pid, ...FAST });
    electors.push(e);
    return e;
  };

  test('two electors: exactly one leads; stop() hands over within a second', async () => {
    const a = local('etcd-a', 201);
    const b = local('etcd-b', 202);
    a.start();
    b.start();
    await until('a master', () => a.isLeader() || b.isLeader());
    await delay(1_000);
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1);
    const [master, standby] = a.isLeader() ? [a, b] : [b, a];
    assert.equal((await store!.keyValues().get(KEY))?.value, master.id);
    const stoppedAt = Date.now();
    await master.stop();
    await until('the standby leads', () => standby.isLeader(), 1_500);
    const takeover = Date.now() - stoppedAt;
    assert.ok(takeover < 1_000, `takeover took ${takeover} ms`);
    process.stderr.write(`# etcd: graceful takeover ${takeover} ms\n`);
    await standby.stop();
    assert.equal(await store!.keyValues().get(KEY), undefined);
  });

  test('a master killed with SIGKILL is replaced when its lease expires (TTL 2 s)', async () => {
    const child = spawnElector('etcd-dead-host');
    await until('the child leads', () => child.roles.includes('leader'), 10_000);
    const b = local('etcd-other-host', 302);
    b.start();
    await delay(500);
    assert.equal(b.isLeader(), false);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until('b leads', () => b.isLeader(), 5_000);
    const takeover = Date.now() - killedAt;
    process.stderr.write(`# etcd: takeover after SIGKILL ${takeover} ms (TTL 2 s, refresh 0.5 s)\n`);
    assert.ok(takeover > 1_000 && takeover < 3_500, `takeover ${takeover} ms should follow the 2 s lease expiry`);
    await b.stop();
  });

  test('a dead master on the same host is cleared through /proc without waiting for the TTL', async () => {
    const child = spawnElector('etcd-same-host');
    await until('the child leads', () => child.roles.includes('leader'), 10_000);
    const childPid = child.pid!;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // A restarted controller on the same host: its predecessor's PID is gone from /proc.
    const kv = store!.keyValues();
    const lease = await kv.grantLease(60);
    await kv.put(KEY, `etcd-same-host:${childPid}`, { lease }); // the dead master's key, now with a long TTL
    const startedAt = Date.now();
    const b = local('etcd-same-host', process.pid);
    b.start();
    await until('b leads', () => b.isLeader(), 2_000);
    process.stderr.write(`# etcd: stale same-host master cleared in ${Date.now() - startedAt} ms\n`);
    await b.stop();
    await lease.revoke();
  });
});
