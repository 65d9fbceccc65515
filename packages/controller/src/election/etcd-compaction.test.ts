/**
 * `checkEtcdCompaction()` on networking-calico's test vectors (test_compaction.py, spec §9.5:
 * period 60 min, 1000 revisions) against a scripted store, then end to end on a private etcd.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { SILENT_LOGGER } from '@percale/daemon';
import { isCompacted, EtcdStore, startLocalEtcd, type KeyValueEntry, type Lease } from '@percale/datastore';
import { checkEtcdCompaction, COMPACTION_LAST_KEY, COMPACTION_TRIGGER_KEY, EtcdCompactor, type CompactionDeps } from './etcd-compaction.ts';

interface Scenario {
  /** The trigger key: absent, without a lease, or on a lease with this TTL (undefined: it expires as we look). */
  trigger?: { ttl: number | undefined } | 'no-lease';
  last?: { value: string; modRevision: number };
  current: number;
  compactFails?: boolean;
}

/** A store scripted like networking-calico's mocks; records writes and compaction requests. */
function scripted(s: Scenario): { deps: CompactionDeps; writes: string[]; compactions: string[] } {
  const writes: string[] = [];
  const compactions: string[] = [];
  const entry = (key: string, value: string, modRevision: number, lease?: string): KeyValueEntry => ({ key, value, modRevision: String(modRevision), ...(lease && { lease }) });
  const deps: CompactionDeps = {
    kv: {
      get: async (key) => {
        if (key === COMPACTION_TRIGGER_KEY && s.trigger) return entry(key, '4242', 5, s.trigger === 'no-lease' ? undefined : '77');
        if (key === COMPACTION_LAST_KEY && s.last) return entry(key, s.last.value, s.last.modRevision);
        return undefined;
      },
      leaseTimeToLive: async (id) => {
        assert.equal(id, '77');
        return s.trigger && s.trigger !== 'no-lease' ? s.trigger.ttl : undefined;
      },
      snapshot: async () => ({ entries: [], revision: String(s.current) }),
      grantLease: async (ttlSeconds) => ({ id: '88', ttlSeconds, keepAlive: async () => true, revoke: async () => undefined }) satisfies Lease,
      put: async (key, value, options) => {
        writes.push(`${key}=${value}${options?.lease ? ` lease ${options.lease.ttlSeconds}s` : ''}`);
        return String(s.current + 1);
      },
    },
    compact: async (revision) => {
      compactions.push(revision);
      if (s.compactFails) throw new Error('etcdserver: mvcc: required revision has been compacted');
    },
    periodMinutes: 60,
    minRevisions: 1000,
    pid: 1234,
    log: SILENT_LOGGER,
  };
  return { deps, writes, compactions };
}

const recorded = (last: number) => [`${COMPACTION_LAST_KEY}=${last}`, `${COMPACTION_TRIGGER_KEY}=1234 lease 3600s`];

test('checkEtcdCompaction() follows networking-calico\'s compaction vectors', async () => {
  const cases: { name: string; scenario: Scenario; compactAt?: string; writes: string[] }[] = [
    { name: 'no compaction keys: first check', scenario: { current: 5 }, writes: recorded(0) },
    { name: 'compacted@0 checked@10 now=100: too few revisions', scenario: { last: { value: '0', modRevision: 10 }, current: 100 }, writes: recorded(0) },
    { name: 'compacted@0 checked@100 now=300: too few revisions', scenario: { last: { value: '0', modRevision: 100 }, current: 300 }, writes: recorded(0) },
    { name: 'compacted@0 checked@300 now=1100: compact at 100', scenario: { last: { value: '0', modRevision: 300 }, current: 1100 }, compactAt: '100', writes: recorded(100) },
    { name: 'compacted@100 checked@1100 now=1200: compact at 200', scenario: { last: { value: '100', modRevision: 1100 }, current: 1200 }, compactAt: '200', writes: recorded(200) },
    { name: 'compacted@200 checked@200 now=1200: keeping 1000 revisions leaves nothing new', scenario: { last: { value: '200', modRevision: 200 }, current: 1200 }, writes: recorded(200) },
    { name: 'trigger with TTL 30: not due', scenario: { trigger: { ttl: 30 }, last: { value: '0', modRevision: 300 }, current: 1100 }, writes: [] },
    { name: 'trigger without a lease: start afresh', scenario: { trigger: 'no-lease', current: 1100 }, writes: recorded(0) },
    { name: 'trigger with TTL 30000000: start afresh', scenario: { trigger: { ttl: 30_000_000 }, current: 1100 }, writes: recorded(0) },
    { name: 'trigger lease expiring as we look: the check goes ahead', scenario: { trigger: { ttl: undefined }, last: { value: '0', modRevision: 300 }, current: 1100 }, compactAt: '100', writes: recorded(100) },
    { name: 'last=3000 now=1200 (restored backup): start afresh', scenario: { last: { value: '3000', modRevision: 1100 }, current: 1200 }, writes: recorded(0) },
    { name: 'compaction rejected: record the current revision', scenario: { last: { value: '100', modRevision: 1100 }, current: 1200, compactFails: true }, compactAt: '200', writes: recorded(1200) },
  ];
  for (const c of cases) {
    const { deps, writes, compactions } = scripted(c.scenario);
    await checkEtcdCompaction(deps);
    assert.deepEqual(compactions, c.compactAt ? [c.compactAt] : [], `${c.name}: compaction`);
    assert.deepEqual(writes, c.writes, `${c.name}: writes`);
  }
});

test('EtcdCompactor() rejects a negative period or minimum; a period of 0 never checks', async () => {
  const { deps, writes } = scripted({ current: 5 });
  assert.throws(() => new EtcdCompactor({ ...deps, periodMinutes: -1 }), RangeError);
  assert.throws(() => new EtcdCompactor({ ...deps, minRevisions: 1.5 }), RangeError);
  const off = new EtcdCompactor({ ...deps, periodMinutes: 0 });
  off.start();
  await off.stop();
  assert.deepEqual(writes, []);
});

test('checkEtcdCompaction() on etcd: records the first check, then compacts the last period\'s history away', async () => {
  const etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-compaction-test-${randomUUID()}`, removeDataOnStop: true });
  const store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 3_000 });
  try {
    const kv = store.keyValues();
    const deps: CompactionDeps = { kv, compact: (r) => store.compact(r), periodMinutes: 1, minRevisions: 10, log: SILENT_LOGGER };
    const early = await kv.put('/t/history', 'v0');
    const compactor = new EtcdCompactor(deps);
    compactor.start(); // the first check runs at once
    await compactor.stop();
    const last = await kv.get(COMPACTION_LAST_KEY);
    assert.equal(last?.value, '0');
    const trigger = await kv.get(COMPACTION_TRIGGER_KEY);
    assert.equal(trigger?.value, String(process.pid));
    const ttl = await kv.leaseTimeToLive(trigger!.lease!);
    assert.ok(ttl !== undefined && ttl > 50 && ttl <= 60, `trigger TTL ${ttl}`);
    assert.deepEqual(await checkEtcdCompaction(deps), {}, 'not due while the trigger lives');

    for (let i = 1; i <= 30; i++) await kv.put('/t/history', `v${i}`);
    await kv.delete(COMPACTION_TRIGGER_KEY); // as if the period had passed
    const result = await checkEtcdCompaction(deps);
    // Keep everything since the last check (the period), which is more than 10 revisions.
    assert.deepEqual(result, { recorded: Number(last!.modRevision), requestedAt: Number(last!.modRevision) });
    const watchOld = await new Promise<Error>((resolve) => {
      const w = kv.watch('/t/', { afterRevision: String(Number(early) - 1), onEvent: () => undefined, onError: (e) => void w.stop().then(() => resolve(e)) });
    });
    assert.ok(isCompacted(watchOld), `history before the last check is gone: ${watchOld.message}`);
    assert.equal((await kv.get(COMPACTION_LAST_KEY))?.value, last!.modRevision);
  } finally {
    await store.close();
    await etcd.stop();
  }
});
