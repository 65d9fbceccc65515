/**
 * The status reporters: heartbeat keys, values and leases against MemoryKeyValueStore (a
 * stepped clock) and a real etcd (data on tmpfs; the heartbeat key disappears when its
 * lease runs out), and per-endpoint status keys (rate limit, retry, deletion, self-repair).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EtcdStore, MemoryKeyValueStore, startLocalEtcd, type KeyValueStore, type LocalEtcd } from '@percale/datastore';
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import { EndpointStatusReporter } from './endpoint-status-reporter.ts';
import { ProcessStatusReporter, rfc3339 } from './process-status-reporter.ts';
import { activeStatusKey, endpointStatusKey, lastReportedStatusKey, regionString } from './status-keys.ts';

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('status keys', () => {
  test('regionString() is region-<name> or no-region', () => {
    assert.equal(regionString('r1'), 'region-r1');
    assert.equal(regionString(''), 'no-region');
  });

  test('activeStatusKey() and lastReportedStatusKey() follow Calico\'s layout', () => {
    assert.equal(activeStatusKey('r1', 'compute-1'), '/calico/felix/v2/region-r1/host/compute-1/status');
    assert.equal(lastReportedStatusKey('', 'compute-1'), '/calico/felix/v2/no-region/host/compute-1/last_reported_status');
  });

  test('endpointStatusKey() escapes / and % in the last three parts', () => {
    assert.equal(
      endpointStatusKey('r1', 'compute-1', { orchestrator: 'openstack', workload: 'openstack-region-r1/8d5c1f7e-0b4a-4a57-9c53-6f1f3c2e9a10', endpoint: 'a1b2%c3' }),
      '/calico/felix/v2/region-r1/host/compute-1/workload/openstack/openstack-region-r1%2f8d5c1f7e-0b4a-4a57-9c53-6f1f3c2e9a10/endpoint/a1b2%25c3',
    );
  });
});

describe('ProcessStatusReporter over MemoryKeyValueStore', () => {
  test('ProcessStatusReporter writes both keys with Felix\'s value, the heartbeat on a lease', async () => {
    let now = Date.parse('2026-11-21T15:00:00.250Z');
    const kv = new MemoryKeyValueStore({ now: () => now });
    const reporter = new ProcessStatusReporter({ kv, hostname: 'compute-1', region: 'r1', intervalSeconds: 0.02, ttlSeconds: 90, firstReportDelayMs: 0, processStartMs: now - 12_500, now: () => now, log: SILENT_LOGGER });
    reporter.start();
    await until('first report', () => reporter.reportsWritten >= 1);
    const active = await kv.get('/calico/felix/v2/region-r1/host/compute-1/status');
    const last = await kv.get('/calico/felix/v2/region-r1/host/compute-1/last_reported_status');
    assert.ok(active?.lease, 'heartbeat has a lease');
    assert.equal(last?.lease, undefined);
    assert.equal(active?.value, '{"time":"2026-11-21T15:00:00Z","uptime":12.5,"first_update":true}');
    await until('last_reported_status written', async () => (await kv.get('/calico/felix/v2/region-r1/host/compute-1/last_reported_status')) !== undefined);
    now += 1_000;
    await until('second report', () => reporter.reportsWritten >= 2);
    await reporter.stop();
    assert.deepEqual(JSON.parse((await kv.get('/calico/felix/v2/region-r1/host/compute-1/status'))!.value), { time: '2026-11-21T15:00:01Z', uptime: 13.5, first_update: false });
    // 90 s without a report: the heartbeat expires, the last report stays.
    now += 91_000;
    assert.equal(await kv.get('/calico/felix/v2/region-r1/host/compute-1/status'), undefined);
    assert.ok(await kv.get('/calico/felix/v2/region-r1/host/compute-1/last_reported_status'));
  });

  test('ProcessStatusReporter keeps trying after a failed write and logs it', async () => {
    const kv = new MemoryKeyValueStore();
    let failures = 1;
    const flaky: KeyValueStore = {
      ...kv,
      get: (k) => kv.get(k),
      list: (p) => kv.list(p),
      delete: (k) => kv.delete(k),
      grantLease: (t) => kv.grantLease(t),
      leaseTimeToLive: (id) => kv.leaseTimeToLive(id),
      putIf: (k, v, c, o) => kv.putIf(k, v, c, o),
      deleteIf: (k, c) => kv.deleteIf(k, c),
      snapshot: (p) => kv.snapshot(p),
      watch: (p, o) => kv.watch(p, o),
      put: (k, v, o) => (failures-- > 0 ? Promise.reject(new Error('etcd down')) : kv.put(k, v, o)),
    };
    const warnings: string[] = [];
    const log: Logger = { ...SILENT_LOGGER, warn: (msg, f) => warnings.push(`${msg} ${String((f?.error as Error)?.message)}`) };
    const reporter = new ProcessStatusReporter({ kv: flaky, hostname: 'h', region: '', intervalSeconds: 0.01, ttlSeconds: 30, firstReportDelayMs: 0, log });
    reporter.start();
    await until('a successful report', () => reporter.reportsWritten >= 1);
    await reporter.stop();
    assert.equal(warnings[0], 'Failed to write status to datastore etcd down');
    // The first successful heartbeat is still the first: first_update stays true until a write succeeds.
    assert.equal(JSON.parse((await kv.get('/calico/felix/v2/no-region/host/h/status'))!.value).first_update, true);
  });

  test('ProcessStatusReporter with ReportingIntervalSecs 0 writes nothing', async () => {
    const kv = new MemoryKeyValueStore();
    const reporter = new ProcessStatusReporter({ kv, hostname: 'h', region: '', intervalSeconds: 0, ttlSeconds: 30, firstReportDelayMs: 0, log: SILENT_LOGGER });
    reporter.start();
    await delay(20);
    await reporter.stop();
    assert.deepEqual(await kv.list('/calico/'), []);
  });

  test('rfc3339() prints whole seconds in UTC like Go', () => {
    assert.equal(rfc3339(Date.parse('2026-01-02T03:04:05.999Z')), '2026-01-02T03:04:05Z');
  });
});

describe('EndpointStatusReporter over MemoryKeyValueStore', () => {
  const ep = (n: number) => ({ orchestrator: 'openstack', workload: `openstack-region-r1/vm-${n}`, endpoint: `port-${n}` });
  const key = (n: number) => endpointStatusKey('r1', 'compute-1', ep(n));

  test('EndpointStatusReporter writes, updates and deletes keys at one operation per delay', async () => {
    const kv = new MemoryKeyValueStore();
    const r = new EndpointStatusReporter({ kv, hostname: 'compute-1', region: 'r1', delayMs: 40, random: () => 0, log: SILENT_LOGGER });
    r.start();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) r.setStatus(ep(i), 'up');
    await until('three writes', () => r.operations === 3);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 75, `three writes took ${elapsed.toFixed(0)} ms; the rate limit allows one per 40 ms`);
    assert.equal((await kv.get(key(0)))?.value, '{"status":"up"}');
    r.setStatus(ep(1), 'down');
    r.setStatus(ep(2), undefined);
    await until('update and delete', () => r.pending === 0 && r.operations === 5);
    assert.equal((await kv.get(key(1)))?.value, '{"status":"down"}');
    assert.equal(await kv.get(key(2)), undefined);
    await r.stop();
  });

  test('EndpointStatusReporter coalesces changes to one key and skips no-op updates', async () => {
    const kv = new MemoryKeyValueStore();
    const r = new EndpointStatusReporter({ kv, hostname: 'compute-1', region: 'r1', delayMs: 5, random: () => 0, log: SILENT_LOGGER });
    r.setStatus(ep(1), 'up');
    r.setStatus(ep(1), 'down');
    r.setStatus(ep(1), 'up');
    r.start();
    await until('written', () => r.pending === 0);
    r.setStatus(ep(1), 'up');
    await delay(20);
    assert.equal(r.operations, 1);
    await r.stop();
  });

  test('EndpointStatusReporter keeps a failed write at the head of the queue and retries it', async () => {
    const kv = new MemoryKeyValueStore();
    let failures = 2;
    const puts: string[] = [];
    const flaky = Object.assign(Object.create(kv) as KeyValueStore, {
      put: (k: string, v: string) => {
        puts.push(k);
        return failures-- > 0 ? Promise.reject(new Error('etcd down')) : kv.put(k, v);
      },
    });
    const r = new EndpointStatusReporter({ kv: flaky, hostname: 'compute-1', region: 'r1', delayMs: 5, random: () => 0, log: SILENT_LOGGER });
    r.start();
    r.setStatus(ep(1), 'up');
    r.setStatus(ep(2), 'up');
    await until('both written', () => r.pending === 0);
    assert.deepEqual(puts, [key(1), key(1), key(1), key(2)]);
    await r.stop();
  });

  test('EndpointStatusReporter.markInSync() repairs stale and altered keys', async () => {
    const kv = new MemoryKeyValueStore();
    await kv.put(key(7), '{"status":"up"}'); // an endpoint that went away while the agent was down
    await kv.put(key(1), '{"status":"down"}'); // tampered with
    await kv.put('/calico/felix/v2/region-r1/host/compute-2/workload/openstack/x/endpoint/y', '{"status":"up"}'); // another host's
    const r = new EndpointStatusReporter({ kv, hostname: 'compute-1', region: 'r1', delayMs: 2, resyncFactor: 10, random: () => 0, log: SILENT_LOGGER });
    r.start();
    r.setStatus(ep(1), 'up');
    await until('first write', () => r.pending === 0);
    await kv.put(key(1), '{"status":"down"}');
    r.markInSync();
    await until('repairs', async () => (await kv.get(key(7))) === undefined && (await kv.get(key(1)))?.value === '{"status":"up"}');
    // The next periodic resync catches a later out-of-band change too.
    await kv.delete(key(1));
    await until('periodic repair', async () => (await kv.get(key(1)))?.value === '{"status":"up"}');
    assert.ok(await kv.get('/calico/felix/v2/region-r1/host/compute-2/workload/openstack/x/endpoint/y'), "another host's keys are left alone");
    await r.stop();
  });
});

describe('status reporters against etcd', () => {
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore | undefined;
  before(async () => {
    etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-status-test-${randomUUID()}`, removeDataOnStop: true });
    store = new EtcdStore({ endpoints: [etcd.endpoint], dialTimeoutMs: 5_000 });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('ProcessStatusReporter heartbeat key carries an etcd lease and disappears when it expires', async () => {
    const kv = store!.keyValues();
    const reporter = new ProcessStatusReporter({ kv, hostname: 'compute-1', region: 'r1', intervalSeconds: 0.3, ttlSeconds: 1, firstReportDelayMs: 0, log: SILENT_LOGGER });
    reporter.start();
    await until('two reports', () => reporter.reportsWritten >= 2);
    await reporter.stop();
    const active = await kv.get('/calico/felix/v2/region-r1/host/compute-1/status');
    const last = await kv.get('/calico/felix/v2/region-r1/host/compute-1/last_reported_status');
    assert.ok(active?.lease, 'the heartbeat is on a lease');
    assert.equal(last?.lease, undefined);
    const value = JSON.parse(active.value) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['time', 'uptime', 'first_update']);
    assert.equal(value.first_update, false);
    assert.match(value.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(typeof value.uptime, 'number');
    await until('the heartbeat expires', async () => (await kv.get('/calico/felix/v2/region-r1/host/compute-1/status')) === undefined, 6_000);
    assert.ok(await kv.get('/calico/felix/v2/region-r1/host/compute-1/last_reported_status'), 'last_reported_status outlives the lease');
  });

  test('EndpointStatusReporter writes and deletes endpoint keys in etcd', async () => {
    const kv = store!.keyValues();
    const id = { orchestrator: 'openstack', workload: 'openstack-region-r1/vm-1', endpoint: 'port-1' };
    const r = new EndpointStatusReporter({ kv, hostname: 'compute-1', region: 'r1', delayMs: 5, log: SILENT_LOGGER });
    r.start();
    r.setStatus(id, 'up');
    await until('written', () => r.pending === 0);
    assert.deepEqual((await kv.list('/calico/felix/v2/region-r1/host/compute-1/workload/')).map((e) => [e.key, e.value]), [
      ['/calico/felix/v2/region-r1/host/compute-1/workload/openstack/openstack-region-r1%2fvm-1/endpoint/port-1', '{"status":"up"}'],
    ]);
    r.setStatus(id, undefined);
    await until('deleted', () => r.pending === 0 && r.operations === 2);
    assert.deepEqual(await kv.list('/calico/felix/v2/region-r1/host/compute-1/workload/'), []);
    await r.stop();
  });
});
