/**
 * Unit tests of the resync against an in-memory Neutron and datastore: what a cold resync
 * writes, that a steady one writes nothing, stale/missing/changed repair, ownership of
 * foreign data, narrow scopes, legacy cleanup and the Felix-config merge.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SILENT_LOGGER } from '@percale/daemon';
import type { Resource } from '@percale/api';
import { MemoryKeyValueStore, MemoryStore, type Store } from '@percale/datastore';
import { fullScope } from './resync-result.ts';
import { runResync } from './resync.ts';
import type { SyncEnv } from './sync-env.ts';
import { FakeNeutron, makePort, makeSubnet } from './testing/fake-neutron.ts';

const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};

function world(region?: string) {
  const neutron = new FakeNeutron();
  neutron.networks.set('net-1', { id: 'net-1', name: 'calico network', subnets: ['sub-1'] });
  neutron.subnets.set('sub-1', makeSubnet({ id: 'sub-1', cidr: '10.65.0.0/24', gateway_ip: '10.65.0.1' }));
  neutron.securityGroups.set('sg-1', {
    id: 'sg-1',
    name: 'My default SG',
    security_group_rules: [
      { id: 'r1', security_group_id: 'sg-1', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: null, remote_group_id: 'sg-1' },
      { id: 'r2', security_group_id: 'sg-1', direction: 'egress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null },
    ],
  });
  neutron.projects.set('proj-1', { id: 'proj-1', name: 'pname+jane3', parent_id: 'gibson' });
  neutron.ports.set(
    'port-a',
    makePort({ id: 'port-a', device_id: 'instance-1', 'binding:host_id': 'felix-host-1', mac_address: '00:11:22:33:44:55', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.2' }], security_groups: ['sg-1'], allowed_address_pairs: [{ ip_address: '23.23.23.2' }] }),
  );
  neutron.floatingIps.set('fip-1', { id: 'fip-1', floating_ip_address: '192.168.0.1', fixed_ip_address: '10.65.0.2', port_id: 'port-a' });
  // Not endpoint ports: DHCP and router ports are never written.
  neutron.ports.set('dhcp', makePort({ id: 'dhcp', device_owner: 'network:dhcp' }));
  neutron.ports.set('router', makePort({ id: 'router', device_owner: 'network:router_interface' }));
  const store = new MemoryStore();
  const kv = new MemoryKeyValueStore();
  const namespace = region ? `openstack-region-${region}` : 'openstack';
  const env: SyncEnv = { store, kv, neutron, namespace, regionString: region ? `region-${region}` : 'no-region', qos: QOS, log: SILENT_LOGGER };
  return { neutron, store, kv, env, namespace };
}

async function revisions(store: Store): Promise<Map<string, string>> {
  const { items } = await store.list({});
  return new Map(items.map((r) => [`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, r.metadata.resourceVersion!]));
}

const WEP_A = 'felix--host--1-openstack-instance--1-port--a';

describe('runResync()', () => {
  it('runResync() writes endpoints, policies, subnet records and the Felix configuration into an empty datastore', async () => {
    const { store, kv, env } = world('europe');
    const result = await runResync(env, fullScope());
    assert.equal(result.ok, true, result.error ?? '');
    assert.deepEqual(Object.keys(result.phases), ['expand', 'subnets', 'policy', 'endpoints', 'felix_config']);
    assert.deepEqual(
      { ...result.phases.endpoints!, total_ms: 0, etcd_read_ms: 0, neutron_read_ms: 0, compare_ms: 0, create_ms: 0, neutron_reread_ms: 0 },
      { total_ms: 0, etcd_read_ms: 0, neutron_read_ms: 0, compare_ms: 0, create_ms: 0, neutron_reread_ms: 0, etcd_items: 0, neutron_items: 1, correct: 0, updated: 0, deleted: 0, created: 1 },
    );
    assert.equal(result.phases.policy!.created, 1);
    assert.equal(result.phases.subnets!.created, 1);

    const wep = await store.get({ kind: 'WorkloadEndpoint', namespace: 'openstack-region-europe', name: WEP_A });
    assert.match(wep.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.match(wep.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(wep.metadata.labels, {
      'sg.projectcalico.org/openstack-sg-1': 'My_default_SG',
      'sg-name.projectcalico.org/openstack-My_default_SG': 'sg-1',
      'projectcalico.org/namespace': 'openstack-region-europe',
      'projectcalico.org/orchestrator': 'openstack',
      'projectcalico.org/openstack-project-id': 'proj-1',
      'projectcalico.org/openstack-project-name': 'pname_jane3',
      'projectcalico.org/openstack-project-parent-id': 'gibson',
      'projectcalico.org/openstack-network-name': 'calico_network',
    });
    assert.deepEqual(wep.metadata.annotations, { 'openstack.projectcalico.org/network-id': 'net-1' });
    assert.deepEqual(wep.spec, {
      orchestrator: 'openstack', workload: 'instance-1', node: 'felix-host-1', endpoint: 'port-a', interfaceName: 'tapport-a',
      mac: '00:11:22:33:44:55', ipv4Gateway: '10.65.0.1', ipNetworks: ['10.65.0.2/32', '23.23.23.2/32'], allowedIps: ['23.23.23.2/32'],
      ipNATs: [{ internalIP: '10.65.0.2', externalIP: '192.168.0.1' }],
    });
    const policy = await store.get({ kind: 'NetworkPolicy', namespace: 'openstack-region-europe', name: 'ossg.default.sg-1' });
    assert.deepEqual(policy.spec, {
      ingress: [{ action: 'Allow', ipVersion: 4, protocol: 6, source: { selector: 'has(sg.projectcalico.org/openstack-sg-1)' }, destination: { ports: [22] } }],
      egress: [{ action: 'Allow', ipVersion: 4 }],
      selector: 'has(sg.projectcalico.org/openstack-sg-1)',
    });
    assert.equal(
      (await kv.get('/calico/dhcp/v2/region-europe/subnet/sub-1'))?.value,
      '{"network_id": "net-1", "cidr": "10.65.0.0/24", "host_routes": [], "gateway_ip": "10.65.0.1"}',
    );
    const fc = await store.get({ kind: 'FelixConfiguration', name: 'default' });
    assert.equal(fc.spec!.endpointReportingEnabled, true);
    assert.equal(fc.spec!.interfacePrefix, 'tap');
    const ci = await store.get({ kind: 'ClusterInformation', name: 'default' });
    assert.equal(ci.spec!.clusterType, 'openstack');
    assert.equal(ci.spec!.datastoreReady, true);
    assert.match(String(ci.spec!.clusterGUID), /^[0-9a-f]{32}$/);
  });

  it('runResync() writes nothing when the datastore already agrees with Neutron', async () => {
    const { store, kv, env } = world();
    await runResync(env, fullScope());
    const before = await revisions(store);
    const subnetBefore = (await kv.get('/calico/dhcp/v2/no-region/subnet/sub-1'))!.modRevision;
    const result = await runResync(env, fullScope());
    assert.equal(result.ok, true);
    for (const phase of ['subnets', 'policy', 'endpoints'] as const) {
      const p = result.phases[phase]!;
      assert.deepEqual([p.correct, p.updated, p.deleted, p.created], [1, 0, 0, 0], phase);
    }
    assert.deepEqual(await revisions(store), before);
    assert.equal((await kv.get('/calico/dhcp/v2/no-region/subnet/sub-1'))!.modRevision, subnetBefore);
  });

  it('runResync() removes stale data, writes missing data and rewrites changed data', async () => {
    const { store, neutron, env, namespace } = world();
    neutron.ports.set('port-b', makePort({ id: 'port-b', 'binding:host_id': 'felix-host-2', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.3' }] }));
    await runResync(env, fullScope());
    // While the controller was away: port-a moved host, port-b deleted, port-c created, the group's rule changed,
    // and someone deleted a policy by hand.
    neutron.ports.get('port-a')!['binding:host_id'] = 'new-host';
    neutron.ports.delete('port-b');
    neutron.ports.set('port-c', makePort({ id: 'port-c', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.4' }] }));
    neutron.securityGroups.get('sg-1')!.security_group_rules[0]!.port_range_max = 23;
    neutron.securityGroups.set('sg-2', { id: 'sg-2', name: 'two', security_group_rules: [] });
    const policyBefore = await store.get({ kind: 'NetworkPolicy', namespace, name: 'ossg.default.sg-1' });

    const result = await runResync(env, fullScope());
    const e = result.phases.endpoints!;
    assert.deepEqual([e.correct, e.updated, e.deleted, e.created], [0, 0, 2, 2]);
    const p = result.phases.policy!;
    assert.deepEqual([p.correct, p.updated, p.deleted, p.created], [0, 1, 0, 1]);
    const names = (await store.list({ kind: 'WorkloadEndpoint', namespace })).items.map((r) => r.metadata.name).sort();
    assert.deepEqual(names, ['host--1-openstack-vm--port--c-port--c', 'new--host-openstack-instance--1-port--a']);
    const policy = await store.get({ kind: 'NetworkPolicy', namespace, name: 'ossg.default.sg-1' });
    assert.deepEqual((policy.spec!.ingress as Array<{ destination: unknown }>)[0]!.destination, { ports: ['22:23'] });
    // The envelope is kept across the update.
    assert.equal(policy.metadata.uid, policyBefore.metadata.uid);
    assert.equal(policy.metadata.creationTimestamp, policyBefore.metadata.creationTimestamp);
  });

  it('runResync() touches only its own policies and, with a region, deletes the legacy region-less data', async () => {
    const { store, kv, env } = world('europe');
    const policy = (namespace: string, name: string): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, namespace }, spec: { selector: 'all()' } });
    await store.create(policy('mesos', 'ossg.default.OLD'));
    await store.create(policy('openstack', 'customer-policy-1'));
    await store.create(policy('openstack', 'ossg.default.OLD'));
    await store.create(policy('openstack-region-europe', 'customer-policy-2'));
    await store.create(policy('openstack-region-europe', 'ossg.default.GONE'));
    await store.create({ apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { name: 'h-openstack-vm-old', namespace: 'openstack' }, spec: { node: 'h', endpoint: 'old' } });
    await kv.put('/calico/dhcp/v1/subnet/sub-old', '{}');

    const result = await runResync(env, fullScope());
    assert.equal(result.phases.policy!.deleted, 1);
    const left = (await store.list({ kind: 'NetworkPolicy' })).items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();
    assert.deepEqual(left, ['mesos/ossg.default.OLD', 'openstack-region-europe/customer-policy-2', 'openstack-region-europe/ossg.default.sg-1', 'openstack/customer-policy-1']);
    assert.deepEqual((await store.list({ kind: 'WorkloadEndpoint', namespace: 'openstack' })).items, []);
    assert.equal(await kv.get('/calico/dhcp/v1/subnet/sub-old'), undefined);
  });

  it('runResync() with a port scope checks that port only and removes its endpoints on other hosts', async () => {
    const { store, neutron, env, namespace } = world();
    neutron.ports.set('port-b', makePort({ id: 'port-b', fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.65.0.3' }] }));
    await runResync(env, fullScope());
    const scope = { ...fullScope(), ports: ['port-a'] };

    let result = await runResync(env, scope);
    assert.deepEqual(Object.keys(result.phases), ['expand', 'subnets', 'policy', 'endpoints']);
    assert.equal(result.scope.all, false);
    let e = result.phases.endpoints!;
    assert.deepEqual([e.etcd_items, e.correct, e.updated, e.deleted, e.created], [1, 1, 0, 0, 0]);
    assert.equal(result.phases.policy!.neutron_items, 0, 'no groups in scope without --include-sgs-for-ports');

    await store.delete({ kind: 'WorkloadEndpoint', namespace, name: WEP_A });
    const stale = await store.get({ kind: 'WorkloadEndpoint', namespace, name: 'host--1-openstack-vm--port--b-port--b' });
    await store.create({ ...stale, metadata: { name: 'old--source-openstack-instance--1-port--a', namespace } });
    result = await runResync(env, { ...scope, include_sgs_for_ports: true });
    e = result.phases.endpoints!;
    assert.deepEqual([e.correct, e.deleted, e.created], [0, 1, 1]);
    assert.equal(result.phases.policy!.correct, 1);
    const names = (await store.list({ kind: 'WorkloadEndpoint', namespace })).items.map((r) => r.metadata.name).sort();
    assert.deepEqual(names, [WEP_A, 'host--1-openstack-vm--port--b-port--b']);
  });

  it('runResync() with a network scope expands to its subnets and ports', async () => {
    const { neutron, env } = world();
    neutron.networks.set('net-2', { id: 'net-2', name: 'other', subnets: ['sub-2'] });
    neutron.subnets.set('sub-2', makeSubnet({ id: 'sub-2', network_id: 'net-2', cidr: '10.28.0.0/24', gateway_ip: '10.28.0.1', dns_nameservers: ['172.18.10.55'] }));
    neutron.ports.set('port-n2', makePort({ id: 'port-n2', network_id: 'net-2', fixed_ips: [{ subnet_id: 'sub-2', ip_address: '10.28.0.5' }] }));
    const result = await runResync(env, { ...fullScope(), networks: ['net-2'] });
    assert.equal(result.ok, true);
    assert.deepEqual([result.phases.subnets!.neutron_items, result.phases.subnets!.created], [1, 1]);
    assert.deepEqual([result.phases.endpoints!.neutron_items, result.phases.endpoints!.created], [1, 1]);
    assert.equal(
      (await env.kv.get('/calico/dhcp/v2/no-region/subnet/sub-2'))?.value,
      '{"network_id": "net-2", "cidr": "10.28.0.0/24", "host_routes": [], "gateway_ip": "10.28.0.1", "dns_servers": ["172.18.10.55"]}',
    );
  });

  it('runResync() removes the record of a subnet whose DHCP was turned off', async () => {
    const { neutron, env, kv } = world();
    await runResync(env, fullScope());
    neutron.subnets.get('sub-1')!.enable_dhcp = false;
    const result = await runResync(env, { ...fullScope(), subnets: ['sub-1'] });
    assert.deepEqual([result.phases.subnets!.deleted, result.phases.subnets!.neutron_items], [1, 0]);
    assert.equal(await kv.get('/calico/dhcp/v2/no-region/subnet/sub-1'), undefined);
  });

  it('runResync() leaves an endpoint another writer changed after the resync read it', async () => {
    const { store, neutron, env, namespace } = world();
    await runResync(env, fullScope());
    neutron.ports.get('port-a')!.mac_address = 'fa:16:3e:00:00:99';
    // Another writer updates the endpoint between the resync's datastore read and its write.
    const list = store.list.bind(store);
    store.list = async (...args: Parameters<Store['list']>) => {
      const res = await list(...args);
      if (args[0].kind === 'WorkloadEndpoint') {
        const current = await store.get({ kind: 'WorkloadEndpoint', namespace, name: WEP_A });
        await store.update({ ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, other: 'writer' } } });
      }
      return res;
    };
    const result = await runResync(env, fullScope());
    assert.equal(result.ok, true, result.error ?? '');
    assert.deepEqual([result.phases.endpoints!.updated, result.phases.endpoints!.correct], [0, 0]);
    const wep = await store.get({ kind: 'WorkloadEndpoint', namespace, name: WEP_A });
    assert.equal(wep.metadata.labels!.other, 'writer');
  });

  it('runResync() merges into the global Felix configuration and cluster information without dropping fields', async () => {
    const { store, env } = world();
    await store.create({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { interfacePrefix: 'cali', logSeverityScreen: 'Debug' } });
    await store.create({ apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterGUID: 'abc', clusterType: 'k8s,bgp', datastoreReady: false } });
    await runResync(env, fullScope());
    const fc = await store.get({ kind: 'FelixConfiguration', name: 'default' });
    assert.deepEqual([fc.spec!.interfacePrefix, fc.spec!.endpointReportingEnabled, fc.spec!.logSeverityScreen], ['cali,tap', true, 'Debug']);
    const ci = await store.get({ kind: 'ClusterInformation', name: 'default' });
    assert.deepEqual([ci.spec!.clusterGUID, ci.spec!.clusterType, ci.spec!.datastoreReady], ['abc', 'k8s,bgp,openstack', false]);
    const before = await revisions(store);
    await runResync(env, fullScope());
    assert.deepEqual(await revisions(store), before);
  });

  it('runResync() reports a failing phase and skips the rest', async () => {
    const { neutron, env } = world();
    neutron.listSecurityGroups = () => Promise.reject(new Error('Neutron said 503'));
    const result = await runResync(env, fullScope());
    assert.equal(result.ok, false);
    assert.equal(result.error, 'Error: Neutron said 503');
    assert.deepEqual(Object.keys(result.phases), ['expand', 'subnets']);
  });
});
