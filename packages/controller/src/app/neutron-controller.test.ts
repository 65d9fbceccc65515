/**
 * Unit tests of the controller's lifecycle with fakes for the election, the notification source
 * and Neutron, on the in-memory datastore: start-up resync, events held during it, step-down,
 * `startup_resync = never`, resync after missed events, and retries of a failed resync.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { SILENT_LOGGER } from '@percale/daemon';
import { MemoryKeyValueStore, MemoryStore } from '@percale/datastore';
import type { NeutronNotification, NotificationSource } from '../neutron/types.ts';
import type { ResyncResult } from '../sync/resync-result.ts';
import type { SyncEnv } from '../sync/sync-env.ts';
import { FakeNeutron, makePort } from '../sync/testing/fake-neutron.ts';
import { COMPACTION_LAST_KEY, COMPACTION_TRIGGER_KEY, EtcdCompactor } from '../election/etcd-compaction.ts';
import { NeutronController, type Elector, type NeutronControllerOptions } from './neutron-controller.ts';

/** Polls until `check` holds (at most 5 s). */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached');
}

const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};

class FakeElector extends EventEmitter implements Elector {
  started = false;
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.emit('follower');
  }
}

class FakeSource implements NotificationSource {
  onEvent: ((n: NeutronNotification) => void) | undefined;
  closed = false;
  /** When set, start() resolves only once this promise does (a broker that is not reachable yet). */
  connected: Promise<void> | undefined;
  async start(onEvent: (n: NeutronNotification) => void): Promise<void> {
    this.onEvent = onEvent;
    await this.connected;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  send(eventType: string, payload: Record<string, unknown>): void {
    this.onEvent?.({ eventType, payload, timestamp: '', messageId: 'm', receivedAt: 0 });
  }
}

function setup(startupResync: 'always' | 'never' = 'always', connected?: Promise<void>, compaction?: NeutronControllerOptions['compaction']) {
  const neutron = new FakeNeutron();
  neutron.ports.set('p1', makePort({ id: 'p1', device_id: 'vm1', 'binding:host_id': 'h1', fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.2' }] }));
  const store = new MemoryStore();
  const env: SyncEnv = { store, kv: new MemoryKeyValueStore(), neutron, namespace: 'openstack', regionString: 'no-region', qos: QOS, log: SILENT_LOGGER };
  const elector = new FakeElector();
  const sources: FakeSource[] = [];
  const missed: Array<() => void> = [];
  const results: ResyncResult[] = [];
  const controller = new NeutronController({
    env,
    elector,
    notifications: (onMissed) => {
      missed.push(onMissed);
      const s = new FakeSource();
      s.connected = connected;
      sources.push(s);
      return s;
    },
    startupResync,
    ...(compaction && { compaction }),
    log: SILENT_LOGGER,
    resyncBackoffMs: { initial: 10, max: 20 },
    notificationStartWaitMs: 50,
    onResync: (r) => results.push(r),
  });
  controller.start();
  const weps = async () => (await store.list({ kind: 'WorkloadEndpoint', namespace: 'openstack' })).items.map((r) => r.metadata.name).sort();
  return { neutron, store, elector, sources, missed, results, controller, weps };
}

describe('NeutronController', () => {
  it('start() waits for leadership, then resyncs and applies events that arrived during the resync', async () => {
    const { neutron, elector, sources, controller, weps, results } = setup();
    assert.equal(elector.started, true);
    await controller.idle();
    assert.deepEqual(await weps(), [], 'nothing is written before leadership');

    // Neutron is slow: an event arrives while the resync reads it.
    neutron.delayMs = 20;
    elector.emit('leader');
    await new Promise((r) => setTimeout(r, 5));
    neutron.ports.set('p2', makePort({ id: 'p2', device_id: 'vm2', 'binding:host_id': 'h2' }));
    sources[0]!.send('port.create.end', { port: { id: 'p2' } });
    await controller.idle();
    assert.equal(results.length, 1);
    assert.deepEqual(await weps(), ['h1-openstack-vm1-p1', 'h2-openstack-vm2-p2']);
  });

  it('start() runs etcd compaction checks only while leading (spec §9.5)', async () => {
    const kv = new MemoryKeyValueStore();
    const running = new Set<EtcdCompactor>();
    let made = 0;
    const compaction = () => {
      made++;
      const c = new EtcdCompactor({ kv, compact: async () => {}, periodMinutes: 60, minRevisions: 1000 });
      return {
        start: () => {
          running.add(c);
          c.start();
        },
        stop: async () => {
          running.delete(c);
          await c.stop();
        },
      };
    };
    const { elector, controller } = setup('always', undefined, compaction);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(made, 0, 'a follower does not compact');
    elector.emit('leader');
    await controller.idle();
    await waitFor(() => running.size === 1);
    for (let i = 0; i < 200 && !(await kv.get(COMPACTION_TRIGGER_KEY)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(await kv.get(COMPACTION_TRIGGER_KEY), 'the leader checked compaction');
    assert.equal((await kv.get(COMPACTION_LAST_KEY))?.value, '0', 'the first check records its bookkeeping');
    elector.emit('follower');
    await controller.idle();
    await waitFor(() => running.size === 0);
    elector.emit('leader');
    await controller.idle();
    await waitFor(() => running.size === 1);
    assert.equal(made, 2, 'a fresh compactor per leadership term');
    await controller.stop();
    assert.equal(running.size, 0);
  });

  it('stop() steps down: the source is closed and later events change nothing', async () => {
    const { neutron, elector, sources, controller, weps } = setup();
    elector.emit('leader');
    await controller.idle();
    await controller.stop();
    assert.equal(controller.leading, false);
    assert.equal(sources[0]!.closed, true);
    neutron.ports.delete('p1');
    sources[0]!.send('port.delete.end', { port_id: 'p1' });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await weps(), ['h1-openstack-vm1-p1']);
  });

  it('with startup_resync = never, only events are applied', async () => {
    const { neutron, elector, sources, controller, weps, results } = setup('never');
    elector.emit('leader');
    await controller.idle();
    assert.deepEqual([results.length, await weps()], [0, []]);
    neutron.ports.set('p3', makePort({ id: 'p3', device_id: 'vm3', 'binding:host_id': 'h3' }));
    sources[0]!.send('port.create.end', { port: { id: 'p3' } });
    await controller.idle();
    assert.deepEqual(await weps(), ['h3-openstack-vm3-p3']);
  });

  it('a notification outage that may have lost events leads to one full resync', async () => {
    const { neutron, elector, missed, controller, weps, results } = setup();
    elector.emit('leader');
    await controller.idle();
    neutron.ports.delete('p1');
    missed[0]!();
    missed[0]!();
    await controller.idle();
    assert.equal(results.length, 2, 'two requests while idle coalesce into one resync');
    assert.deepEqual(await weps(), []);
  });

  it('a broken endpoint watch (e.g. after a compaction) is restarted and followed by one full resync', async () => {
    const { store, elector, controller, results } = setup();
    const watch = store.watch.bind(store);
    const closers: Array<(error?: Error) => void> = [];
    store.watch = (query, options) => {
      closers.push((error) => options.onClosed?.(error));
      return watch(query, options);
    };
    elector.emit('leader');
    await controller.idle();
    assert.deepEqual([results.length, closers.length], [1, 1]);
    closers[0]!(Object.assign(new Error('required revision has been compacted'), { code: 'DATASTORE_COMPACTED' }));
    await waitFor(() => results.length === 2);
    assert.equal(closers.length, 2, 'the watch was started again');
    assert.equal(results[1]!.ok, true);
  });

  it('without a reachable broker the leader resyncs anyway, and once more when notifications start', async () => {
    let connect!: () => void;
    const { elector, controller, results, weps } = setup('always', new Promise<void>((r) => (connect = r)));
    elector.emit('leader');
    await waitFor(() => results.length === 1);
    assert.deepEqual(await weps(), ['h1-openstack-vm1-p1']);
    connect();
    await waitFor(() => results.length === 2);
    await controller.idle();
  });

  it('a failed resync is retried with backoff until it succeeds', async () => {
    const { neutron, elector, controller, results, weps } = setup();
    const listPorts = neutron.listPorts.bind(neutron);
    let failures = 2;
    neutron.listPorts = (filter) => (failures-- > 0 ? Promise.reject(new Error('Neutron unavailable')) : listPorts(filter));
    elector.emit('leader');
    await controller.idle();
    assert.deepEqual(results.map((r) => r.ok), [false, false, true]);
    assert.deepEqual(await weps(), ['h1-openstack-vm1-p1']);
  });
});
