/**
 * Unit tests of the per-object syncs and the notification routing on an in-memory Neutron
 * and datastore: port slots across host moves and deletes, no needless rewrites, CAS
 * exhaustion, subnet and group syncs, and how events map to syncs (coalescing included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import { MemoryKeyValueStore, MemoryStore, type Store } from '@percale/datastore';
import { DynamicSync } from './dynamic-sync.ts';
import { EndpointIndex } from './endpoint-index.ts';
import { FloatingIpCache } from './floating-ip-cache.ts';
import { NotificationRouter } from './notification-router.ts';
import { ProjectCache } from './port-context.ts';
import type { SyncEnv } from './sync-env.ts';
import { FakeNeutron, makePort, makeSubnet } from './testing/fake-neutron.ts';
import type { NeutronNotification, NeutronPort } from '../neutron/types.ts';

const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};
const NS = 'openstack';

function setup(log: Logger = SILENT_LOGGER) {
  const neutron = new FakeNeutron();
  neutron.networks.set('net-1', { id: 'net-1', name: 'net one', subnets: ['sub-1'] });
  neutron.subnets.set('sub-1', makeSubnet({ id: 'sub-1', cidr: '10.65.0.0/24', gateway_ip: '10.65.0.1' }));
  neutron.securityGroups.set('sg-1', {
    id: 'sg-1', name: 'web',
    security_group_rules: [{ id: 'rule-1', security_group_id: 'sg-1', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: null, remote_group_id: null }],
  });
  neutron.ports.set('p1', makePort({ id: 'p1', device_id: 'vm1', 'binding:host_id': 'host-a', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.2' }], security_groups: ['sg-1'] }));
  const store = new MemoryStore();
  const kv = new MemoryKeyValueStore();
  const env: SyncEnv = { store, kv, neutron, namespace: NS, regionString: 'no-region', qos: QOS, log };
  const index = new EndpointIndex();
  const sync = new DynamicSync(env, index, new ProjectCache(neutron));
  return { neutron, store, kv, env, index, sync };
}

async function names(store: Store): Promise<string[]> {
  return (await store.list({ kind: 'WorkloadEndpoint', namespace: NS })).items.map((r) => r.metadata.name!).sort();
}

const note = (eventType: string, payload: Record<string, unknown>): NeutronNotification => ({ eventType, payload, timestamp: '', messageId: 'm', receivedAt: 0 });

describe('DynamicSync', () => {
  it('syncPort() writes the endpoint and its group policy, then follows a host move and a delete', async () => {
    const { neutron, store, sync } = setup();
    assert.deepEqual(Object.fromEntries(await sync.syncPort('p1')), { 'host--a-openstack-vm1-p1': 'written' });
    assert.deepEqual(await names(store), ['host--a-openstack-vm1-p1']);
    await store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'ossg.default.sg-1' });

    neutron.ports.get('p1')!['binding:host_id'] = 'host-b';
    assert.deepEqual(Object.fromEntries(await sync.syncPort('p1')), { 'host--a-openstack-vm1-p1': 'deleted', 'host--b-openstack-vm1-p1': 'written' });
    assert.deepEqual(await names(store), ['host--b-openstack-vm1-p1']);

    neutron.ports.delete('p1');
    assert.deepEqual(Object.fromEntries(await sync.syncPort('p1')), { 'host--b-openstack-vm1-p1': 'deleted' });
    assert.deepEqual(await names(store), []);
  });

  it('syncPort() does not rewrite an endpoint that is already right', async () => {
    const { store, sync } = setup();
    await sync.syncPort('p1');
    const before = (await store.list({})).revision;
    assert.deepEqual(Object.fromEntries(await sync.syncPort('p1')), { 'host--a-openstack-vm1-p1': 'unchanged' });
    assert.equal((await store.list({})).revision, before);
  });

  it('syncPort() keeps the source and writes the destination endpoint during a live migration', async () => {
    const { neutron, store, sync } = setup();
    await sync.syncPort('p1');
    const port = neutron.ports.get('p1')!;
    port['binding:profile'] = { migrating_to: 'host-c' };
    port['binding:vif_type'] = 'unbound';
    await sync.syncPort('p1');
    assert.deepEqual(await names(store), ['host--a-openstack-vm1-p1', 'host--c-openstack-vm1-p1']);
    port['binding:profile'] = {};
    port['binding:host_id'] = 'host-c';
    port['binding:vif_type'] = 'tap';
    await sync.syncPort('p1');
    assert.deepEqual(await names(store), ['host--c-openstack-vm1-p1']);
  });

  it('syncPort() reads the context the event\'s port suggests alongside the re-read, and still uses the re-read port', async () => {
    const { neutron, store, sync } = setup();
    const hint = structuredClone(neutron.ports.get('p1')!);
    neutron.calls.clear();
    await sync.syncPort('p1', hint);
    assert.deepEqual([neutron.calls.get('getPort'), neutron.calls.get('listNetworks'), neutron.calls.get('listSecurityGroups')], [1, 1, 1]);

    // A stale hint (the port has since changed group): the re-read port wins.
    neutron.securityGroups.set('sg-2', { id: 'sg-2', name: 'db', security_group_rules: [] });
    neutron.ports.get('p1')!.security_groups = ['sg-2'];
    neutron.calls.clear();
    await sync.syncPort('p1', hint);
    assert.equal(neutron.calls.get('listSecurityGroups'), 1, 'the hinted context did not cover sg-2: only sg-2 is read');
    const wep = await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name: 'host--a-openstack-vm1-p1' });
    assert.deepEqual(Object.keys(wep.metadata.labels!).filter((k) => k.startsWith('sg')).sort(), ['sg-name.projectcalico.org/openstack-db', 'sg.projectcalico.org/openstack-sg-2']);
  });

  it('syncPort() reads a network again only after Neutron announced a change to it', async () => {
    const { neutron, store, index, sync } = setup();
    const router = new NotificationRouter({ sync, index, log: SILENT_LOGGER });
    await sync.syncPort('p1');
    neutron.calls.clear();
    await sync.syncPort('p1');
    assert.equal(neutron.calls.get('listNetworks'), undefined, 'served from the cache');
    neutron.networks.get('net-1')!.name = 'renamed';
    router.handle(note('network.update.end', { network: { id: 'net-1', name: 'renamed' } }));
    await router.idle();
    assert.equal(neutron.calls.get('listNetworks'), 1);
    const wep = await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name: 'host--a-openstack-vm1-p1' });
    assert.equal(wep.metadata.labels!['projectcalico.org/openstack-network-name'], 'renamed');
  });

  it('syncSlot() gives up after five compare-and-swap conflicts and logs a warning', async () => {
    const warnings: string[] = [];
    const { store, sync } = setup({ ...SILENT_LOGGER, warn: (msg) => warnings.push(msg) });
    let attempts = 0;
    const create = store.create.bind(store);
    // Another writer keeps winning the race for the endpoint's key.
    store.create = (resource, options) => {
      if (resource.kind !== 'WorkloadEndpoint') return create(resource, options);
      attempts++;
      return Promise.reject(Object.assign(new Error('exists'), { code: 'DATASTORE_ALREADY_EXISTS' }));
    };
    assert.equal(await sync.syncSlot('p1', 'host--a-openstack-vm1-p1', 'host-a'), 'gave-up');
    assert.equal(attempts, 5);
    assert.equal(warnings.filter((w) => w.startsWith('Gave up syncing a WorkloadEndpoint')).length, 1);
  });

  it('syncSubnet() writes the record while DHCP is on and deletes it when it is turned off or the subnet goes', async () => {
    const { neutron, kv, sync } = setup();
    const key = '/calico/dhcp/v2/no-region/subnet/sub-1';
    assert.equal(await sync.syncSubnet('sub-1'), 'written');
    assert.equal((await kv.get(key))?.value, '{"network_id": "net-1", "cidr": "10.65.0.0/24", "host_routes": [], "gateway_ip": "10.65.0.1"}');
    assert.equal(await sync.syncSubnet('sub-1'), 'unchanged');
    neutron.subnets.get('sub-1')!.enable_dhcp = false;
    assert.equal(await sync.syncSubnet('sub-1'), 'deleted');
    neutron.subnets.delete('sub-1');
    assert.equal(await sync.syncSubnet('sub-1'), 'absent');
  });

  it('syncSecurityGroup() rewrites the policy after a rule change and deletes it with the group', async () => {
    const { neutron, store, sync } = setup();
    assert.equal(await sync.syncSecurityGroup('sg-1'), 'written');
    neutron.securityGroups.get('sg-1')!.security_group_rules[0]!.port_range_max = 81;
    assert.equal(await sync.syncSecurityGroup('sg-1'), 'written');
    const policy = await store.get({ kind: 'NetworkPolicy', namespace: NS, name: 'ossg.default.sg-1' });
    assert.deepEqual((policy.spec!.ingress as Array<{ destination: unknown }>)[0]!.destination, { ports: ['80:81'] });
    neutron.securityGroups.delete('sg-1');
    assert.equal(await sync.syncSecurityGroup('sg-1'), 'deleted');
  });
});

describe('DynamicSync fast path', () => {
  /** A DynamicSync whose caches are warm (one re-reading sync of p1 ran, the resync's floating-IP list loaded). */
  async function warm() {
    const s = setup();
    s.neutron.ports.get('p1')!.revision_number = 1;
    const seq = s.sync.floatingIps.mark();
    s.sync.floatingIps.load(seq, []);
    await s.sync.syncPort('p1');
    s.neutron.calls.clear();
    return s;
  }
  const payload = (overrides: Partial<NeutronPort>): NeutronPort => ({ ...structuredClone(NEUTRON_P1), ...overrides });
  const NEUTRON_P1 = makePort({ id: 'p1', device_id: 'vm1', 'binding:host_id': 'host-a', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.2' }], security_groups: ['sg-1'], revision_number: 1 });

  it('syncPort() applies a complete, newer payload without asking Neutron', async () => {
    const { neutron, store, sync } = await warm();
    const out = await sync.syncPort('p1', payload({ revision_number: 2, 'binding:host_id': 'host-b' }));
    assert.deepEqual(Object.fromEntries(out), { 'host--a-openstack-vm1-p1': 'deleted', 'host--b-openstack-vm1-p1': 'written' });
    assert.deepEqual(await names(store), ['host--b-openstack-vm1-p1']);
    assert.equal(neutron.totalCalls, 0, `Neutron calls: ${JSON.stringify([...neutron.calls])}`);
    assert.equal(sync.fastPathSyncs, 1);
  });

  it('syncPort() never applies a payload older than a revision already seen; Neutron decides', async () => {
    const { neutron, store, sync } = await warm();
    neutron.ports.get('p1')!.revision_number = 5;
    await sync.syncPort('p1'); // sees revision 5
    await sync.syncPort('p1', payload({ revision_number: 4, 'binding:host_id': 'host-b' }));
    assert.deepEqual(await names(store), ['host--a-openstack-vm1-p1'], 'the stale payload was not applied');
    assert.equal(neutron.calls.get('getPort'), 2);
    assert.equal(sync.fastPathSyncs, 0);
  });

  it('syncPort() never applies a payload of a port Neutron deleted', async () => {
    const { neutron, store, sync } = await warm();
    neutron.ports.delete('p1');
    sync.notePortDeleted('p1');
    await sync.syncPort('p1', payload({ revision_number: 9 }));
    assert.deepEqual(await names(store), []);
    assert.equal(sync.fastPathSyncs, 0);
  });

  it('syncPort() re-reads Neutron for an incomplete payload, an uncached dependency or unknown floating IPs', async () => {
    const variants: Array<[string, (s: Awaited<ReturnType<typeof warm>>) => NeutronPort]> = [
      ['no revision_number', () => { const p = payload({}); delete p.revision_number; return p; }],
      ['no binding fields', () => { const p = payload({ revision_number: 2 }) as Partial<NeutronPort>; delete p['binding:host_id']; return p as NeutronPort; }],
      ['an uncached group', (s) => { s.sync.invalidate('security_group', 'sg-1'); return payload({ revision_number: 2 }); }],
      ['an uncached subnet', (s) => { s.sync.invalidate('subnet', 'sub-1'); return payload({ revision_number: 2 }); }],
      ['floating IPs changed since they were read', (s) => { s.sync.floatingIps.invalidate('p1'); return payload({ revision_number: 2 }); }],
    ];
    for (const [note, make] of variants) {
      const s = await warm();
      s.neutron.ports.get('p1')!.name = 'from-neutron';
      await s.sync.syncPort('p1', make(s));
      assert.equal(s.neutron.calls.get('getPort'), 1, note);
      assert.equal(s.sync.fastPathSyncs, 0, note);
    }
  });

  it('syncPort() uses the cached floating IPs and falls back to Neutron when a CAS loses a race', async () => {
    const { neutron, store, sync } = await warm();
    const fip = { id: 'f1', floating_ip_address: '172.24.4.9', fixed_ip_address: '10.65.0.2', port_id: 'p1' };
    sync.floatingIps.invalidate('p1');
    neutron.floatingIps.set('f1', fip);
    await sync.syncPort('p1'); // re-reads; stores p1's floating IPs
    const name = 'host--a-openstack-vm1-p1';
    const before = await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name });
    assert.deepEqual(before.spec!.ipNATs, [{ internalIP: '10.65.0.2', externalIP: '172.24.4.9' }]);
    neutron.calls.clear();
    await sync.syncPort('p1', payload({ revision_number: 3, allowed_address_pairs: [{ ip_address: '10.65.0.99', mac_address: 'fa:16:3e:00:00:01' }] }));
    assert.equal(neutron.totalCalls, 0);
    const after = await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name });
    assert.deepEqual(after.spec!.ipNATs, before.spec!.ipNATs);
    assert.deepEqual(after.spec!.allowedIps, ['10.65.0.99/32']);

    // A writer that slips in between the fast path's read and its write makes the CAS fail: Neutron's state is re-read and wins.
    const racing = store as MemoryStore;
    const update = racing.update.bind(racing);
    let raced = false;
    racing.update = async (r) => {
      if (!raced) {
        raced = true;
        await update({ ...(await racing.get({ kind: 'WorkloadEndpoint', namespace: NS, name })) });
      }
      return update(r);
    };
    neutron.ports.get('p1')!.name = 'from-neutron';
    await sync.syncPort('p1', payload({ revision_number: 4, name: 'from-payload' }));
    assert.equal(neutron.calls.get('getPort'), 1);
    assert.equal(sync.fastPathSyncs, 1, 'only the first payload completed on the fast path');
  });
});

describe('NotificationRouter', () => {
  function routed() {
    const s = setup();
    const calls: string[] = [];
    const sync = {
      syncPort: async (id: string) => void calls.push(`port:${id}`),
      syncSubnet: async (id: string) => void calls.push(`subnet:${id}`),
      syncSecurityGroup: async (id: string) => void calls.push(`sg:${id}`),
      notePortDeleted: (id: string) => void calls.push(`deleted:${id}`),
      invalidate: () => {},
      floatingIps: new FloatingIpCache(),
    } as unknown as DynamicSync;
    const router = new NotificationRouter({ sync, index: s.index, log: SILENT_LOGGER });
    return { ...s, router, calls };
  }

  const cases: Array<[string, NeutronNotification[], string[]]> = [
    ['port create', [note('port.create.end', { port: { id: 'p1' } })], ['port:p1']],
    ['port delete by id', [note('port.delete.end', { port_id: 'p9' })], ['deleted:p9', 'port:p9']],
    ['bulk port create', [note('port.create.end', { ports: [{ id: 'a' }, { id: 'b' }] })], ['port:a', 'port:b']],
    ['start events are ignored', [note('port.create.start', { port: { id: 'p1' } })], []],
    ['rule create names its group', [note('security_group_rule.create.end', { security_group_rule: { id: 'r9', security_group_id: 'sg-2' } })], ['sg:sg-2']],
    [
      'rule delete with only the rule id uses the group learned at create',
      [note('security_group_rule.create.end', { security_group_rule: { id: 'r9', security_group_id: 'sg-2' } }), note('security_group_rule.delete.end', { security_group_rule_id: 'r9' })],
      ['sg:sg-2', 'sg:sg-2'],
    ],
    ['subnet update', [note('subnet.update.end', { subnet: { id: 's1' } })], ['subnet:s1']],
    [
      'floating IP moved from one port to another syncs both',
      [note('floatingip.create.end', { floatingip: { id: 'f1', port_id: 'pa' } }), note('floatingip.update.end', { floatingip: { id: 'f1', port_id: 'pb' } })],
      ['port:pa', 'port:pa', 'port:pb'],
    ],
    [
      'floating IP deleted by id syncs its last port',
      [note('floatingip.create.end', { floatingip: { id: 'f1', port_id: 'pa' } }), note('floatingip.delete.end', { floatingip_id: 'f1' })],
      ['port:pa', 'port:pa'],
    ],
  ];
  for (const [name, events, expected] of cases) {
    it(`handle() routes ${name}`, async () => {
      const { router, calls } = routed();
      for (const e of events) {
        router.handle(e);
        await router.idle();
      }
      assert.deepEqual(calls.sort(), [...expected].sort());
    });
  }

  it('handle() syncs the ports of a renamed network, found through the endpoints', async () => {
    const { router, calls, sync: _unused, ...s } = routed();
    const real = new DynamicSync(s.env, s.index, new ProjectCache(s.neutron));
    await real.syncPort('p1');
    router.handle(note('network.update.end', { network: { id: 'net-1', name: 'renamed' } }));
    router.handle(note('network.update.end', { network: { id: 'net-other' } }));
    await router.idle();
    assert.deepEqual(calls, ['port:p1']);
  });

  it('handle() syncs the endpoints of a network whose subnet changed (gateways)', async () => {
    const { router, calls, sync: _unused, ...s } = routed();
    const real = new DynamicSync(s.env, s.index, new ProjectCache(s.neutron));
    await real.syncPort('p1');
    router.handle(note('subnet.update.end', { subnet: { id: 'sub-1', network_id: 'net-1', gateway_ip: '10.65.0.254' } }));
    await router.idle();
    assert.deepEqual(calls.sort(), ['port:p1', 'subnet:sub-1']);
  });

  it('handle() re-syncs the ports with a QoS policy on a bandwidth or packet-rate rule event, and ignores other rule types', async () => {
    const { neutron, store, index, sync } = setup();
    const router = new NotificationRouter({ sync, index, log: SILENT_LOGGER });
    neutron.qosPolicies.set('q1', { id: 'q1', rules: [{ type: 'bandwidth_limit', max_kbps: 10000, max_burst_kbps: 0, direction: 'egress' }] });
    neutron.ports.get('p1')!.qos_policy_id = 'q1';
    neutron.ports.set('p2', makePort({ id: 'p2', device_id: 'vm2', 'binding:host_id': 'host-a', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.3' }] }));
    await sync.syncPort('p1');
    await sync.syncPort('p2');
    const egress = async () => (await store.get({ kind: 'WorkloadEndpoint', namespace: NS, name: 'host--a-openstack-vm1-p1' })).spec!.qosControls;
    assert.deepEqual(await egress(), { egressBandwidth: 10000000, egressBurst: 4294967296 });

    neutron.qosPolicies.get('q1')!.rules[0]!.max_kbps = 20000;
    neutron.calls.clear();
    router.handle(note('dscp_marking_rule.update.end', { dscp_marking_rule: { id: 'dscp', dscp_mark: 10 } }));
    await router.idle();
    assert.equal(neutron.calls.size, 0, 'DSCP marking does not reach qosControls');
    router.handle(note('bandwidth_limit_rule.update.end', { bandwidth_limit_rule: { id: 'bw', max_kbps: 20000, max_burst_kbps: 0, direction: 'egress' } }));
    await router.idle();
    assert.deepEqual(await egress(), { egressBandwidth: 20000000, egressBurst: 4294967296 });
    assert.equal(neutron.calls.get('getPort'), 1, 'only the port with a QoS policy is re-read');
  });

  it('handle() resyncs the groups whose rules allowed traffic from a deleted group', async () => {
    const { router, calls } = routed();
    const rule = (id: string, group: string, remote: string | null) => ({
      id, security_group_id: group, direction: 'ingress' as const, ethertype: 'IPv4' as const, protocol: null,
      port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: remote,
    });
    router.learnSecurityGroups([
      { id: 'web', name: 'web', security_group_rules: [rule('r1', 'web', 'lb'), rule('r2', 'web', null)] },
      { id: 'db', name: 'db', security_group_rules: [rule('r3', 'db', 'web')] },
      { id: 'lb', name: 'lb', security_group_rules: [rule('r4', 'lb', 'lb')] },
    ], true);
    router.handle(note('security_group.delete.end', { security_group_id: 'lb' }));
    await router.idle();
    assert.deepEqual(calls.sort(), ['sg:lb', 'sg:web']);
  });

  it('handle() coalesces a burst of events for one port and never runs two syncs of it at once', async () => {
    const { index } = setup();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const sync = {
      syncPort: async () => {
        runs++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
    } as unknown as DynamicSync;
    const router = new NotificationRouter({ sync, index, log: SILENT_LOGGER });
    for (let i = 0; i < 20; i++) router.handle(note('port.update.end', { port: { id: 'p1' } }));
    await router.idle();
    assert.equal(maxRunning, 1);
    assert.ok(runs <= 2, `${runs} runs for a burst of 20`);
  });

  it('handle() keeps the newest port payload while a sync waits, and a delete drops it', async () => {
    const { index } = setup();
    const hints: Array<number | undefined> = [];
    const deleted: string[] = [];
    const sync = {
      syncPort: async (_id: string, hint?: NeutronPort) => void hints.push(hint?.revision_number),
      notePortDeleted: (id: string) => void deleted.push(id),
      floatingIps: new FloatingIpCache(),
    } as unknown as DynamicSync;
    const router = new NotificationRouter({ sync, index, log: SILENT_LOGGER });
    const port = (revision_number: number) => ({ port: { id: 'p1', network_id: 'n', fixed_ips: [], security_groups: [], revision_number } });
    router.queue.pause();
    router.handle(note('port.update.end', port(7)));
    router.handle(note('port.update.end', port(5)));
    router.queue.resume();
    await router.idle();
    assert.deepEqual(hints, [7]);
    router.queue.pause();
    router.handle(note('port.update.end', port(8)));
    router.handle(note('port.delete.end', { port_id: 'p1' }));
    router.queue.resume();
    await router.idle();
    assert.deepEqual(hints, [7, undefined], 'the delete is synced from Neutron, not from the earlier payload');
    assert.deepEqual(deleted, ['p1']);
  });

  it('handle() invalidates the cached floating IPs of both ports a floating IP moves between', () => {
    const { index } = setup();
    const fips = new FloatingIpCache();
    const sync = { syncPort: async () => {}, floatingIps: fips } as unknown as DynamicSync;
    const router = new NotificationRouter({ sync, index, log: SILENT_LOGGER });
    router.queue.pause();
    fips.load(fips.mark(), []);
    router.handle(note('floatingip.create.end', { floatingip: { id: 'f1', port_id: 'pa' } }));
    assert.equal(fips.get('pa'), undefined);
    fips.store(fips.mark(), 'pa', []);
    router.handle(note('floatingip.update.end', { floatingip: { id: 'f1', port_id: 'pb' } }));
    assert.deepEqual([fips.get('pa'), fips.get('pb'), fips.get('pc')], [undefined, undefined, []]);
    router.handle(note('floatingip.delete.end', { floatingip_id: 'unknown' }));
    assert.equal(fips.get('pc'), undefined, 'an IP of an unknown port drops the whole cache');
  });

  it('queue.pause() holds syncs until resume()', async () => {
    const { router, calls } = routed();
    router.queue.pause();
    router.handle(note('port.create.end', { port: { id: 'p1' } }));
    await router.idle();
    assert.deepEqual(calls, []);
    router.queue.resume();
    await router.idle();
    assert.deepEqual(calls, ['port:p1']);
  });
});
