/**
 * NeutronRestClient against a real neutron-server (test/harness/neutron-lab.ts): what the client
 * lists is exactly what was created through Neutron's REST API, page by page and filter by filter.
 * Needs root, neutron-server and rabbitmq-server; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { neutronLabUnavailable, startNeutronLab, type NeutronLab } from '../../../../../test/harness/neutron-lab.ts';
import type { NeutronFloatingIp, NeutronNetwork, NeutronPort, NeutronSecurityGroup, NeutronSubnet } from '../types.ts';
import { NeutronRestClient } from './neutron-rest-client.ts';

const skip = await neutronLabUnavailable();

const byId = <T extends { id: string }>(items: readonly T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
const ids = (items: readonly { id: string }[]) => items.map((i) => i.id).sort();
/** `full` narrowed to the keys `projected` has, for comparing a projected object with Neutron's own. */
const pick = (full: object, projected: object) =>
  Object.fromEntries(Object.keys(projected).map((k) => [k, (full as Record<string, unknown>)[k]]));

describe('NeutronRestClient against a real Neutron', { skip, timeout: 300_000 }, () => {
  let lab: NeutronLab;
  let client: NeutronRestClient;
  const made = {} as {
    networks: NeutronNetwork[];
    subnets: NeutronSubnet[];
    web: NeutronSecurityGroup;
    db: NeutronSecurityGroup;
    ports: NeutronPort[];
    floatingIp: NeutronFloatingIp;
  };

  before(async () => {
    // No QoS plugin: the harness cannot load the ML2 `qos` extension driver it requires.
    lab = await startNeutronLab({ servicePlugins: ['router'] });
    client = new NeutronRestClient({ url: lab.neutronUrl, auth: { type: 'noauth' } });
    const { api } = lab;
    const routed = await api.routedNetwork('10.65.0.0/24', '172.24.4.0/24');
    const net2 = await api.createNetwork({ name: 'lab-net-2' });
    const sub2 = await api.createSubnet(net2.id, 'fd5f:5d21:845:1c2e::/64', { name: 'v6', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    // Re-read: a network's `subnets` fills in as subnets are added.
    made.networks = await Promise.all([routed.external, routed.network, net2].map(async (n) =>
      (await api.request<{ network: NeutronNetwork }>('GET', `/networks/${n.id}`)).network));
    made.subnets = [routed.externalSubnet, routed.subnet, sub2];
    const web = await api.createSecurityGroup('web');
    const db = await api.createSecurityGroup('db');
    await api.createSecurityGroupRule(web.id, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '0.0.0.0/0' });
    await api.createSecurityGroupRule(web.id, { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp' });
    await api.createSecurityGroupRule(db.id, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 5432, port_range_max: 5432, remote_group_id: web.id });
    await api.createSecurityGroupRule(db.id, { direction: 'ingress', ethertype: 'IPv4', protocol: '132' });
    made.web = (await api.getSecurityGroup(web.id))!;
    made.db = (await api.getSecurityGroup(db.id))!;
    const p1 = await api.createPort(routed.network.id, {
      name: 'vm1', host: 'compute-1', security_groups: [web.id],
      allowed_address_pairs: [{ ip_address: '10.65.0.200' }, { ip_address: '10.66.0.0/24', mac_address: 'fa:16:3e:00:00:01' }],
    });
    const p2 = await api.createPort(routed.network.id, { name: 'vm2', host: 'compute-2', security_groups: [web.id, db.id] });
    const p3 = await api.createPort(net2.id, { name: 'vm3', security_groups: [db.id], port_security_enabled: true });
    made.floatingIp = await api.createFloatingIp(routed.external.id, p1.id);
    // Re-read: the floating IP association bumps p1's revision.
    made.ports = await Promise.all([p1, p2, p3].map(async (p) => (await api.getPort(p.id))!));
  });

  after(async () => {
    await lab?.stop();
  });

  it('listNetworks() and listSubnets() return exactly the networks and subnets created', async () => {
    const networks = await client.listNetworks();
    assert.deepEqual(ids(networks), ids(made.networks));
    for (const n of networks) {
      const created = made.networks.find((m) => m.id === n.id)!;
      assert.deepEqual(n, pick(created, n));
      // Projected: qos_policy_id would be there too with the QoS extension loaded.
      assert.deepEqual(Object.keys(n).sort(), ['id', 'name', 'project_id', 'subnets', 'tenant_id']);
    }
    const subnets = await client.listSubnets();
    assert.deepEqual(ids(subnets), ids(made.subnets));
    const v6 = subnets.find((s) => s.ip_version === 6)!;
    assert.equal(v6.cidr, 'fd5f:5d21:845:1c2e::/64');
    assert.equal(v6.ipv6_address_mode, 'slaac');
    for (const s of subnets) assert.deepEqual(s, pick(made.subnets.find((m) => m.id === s.id)!, s));
    assert.deepEqual(ids(await client.listSubnets([made.subnets[1]!.id])), [made.subnets[1]!.id]);
  });

  it('listSecurityGroups() returns groups with every rule, remote-group rules included', async () => {
    const groups = await client.listSecurityGroups([made.web.id, made.db.id]);
    assert.deepEqual(ids(groups), ids([made.web, made.db]));
    for (const g of groups) {
      const created = g.id === made.web.id ? made.web : made.db;
      assert.deepEqual(byId(g.security_group_rules), byId(created.security_group_rules));
    }
    const db = groups.find((g) => g.id === made.db.id)!;
    const remote = db.security_group_rules.find((r) => r.remote_group_id !== null)!;
    assert.equal(remote.remote_group_id, made.web.id);
    assert.equal(remote.port_range_min, 5432);
    assert.ok(db.security_group_rules.some((r) => r.protocol === '132'));
    // 2 default egress rules + the 2 added.
    assert.equal(db.security_group_rules.length, 4);
    // Without ids: these two and the project's default group.
    const all = await client.listSecurityGroups();
    assert.ok(all.some((g) => g.name === 'default'));
    assert.deepEqual(ids(all.filter((g) => g.name !== 'default')), ids([made.web, made.db]));
  });

  it('listPorts() returns every port with the fields the controller reads, as Neutron shows them', async () => {
    const ports = await client.listPorts();
    const neutronsOwn = await lab.api.listPorts();
    assert.deepEqual(ids(ports), ids(neutronsOwn));
    for (const p of made.ports) {
      const listed = ports.find((q) => q.id === p.id)!;
      assert.deepEqual(listed, pick(p, listed));
      for (const key of ['binding:host_id', 'binding:vif_type', 'binding:profile', 'fixed_ips', 'security_groups', 'allowed_address_pairs', 'mac_address', 'device_owner']) {
        assert.ok(key in listed, `port field ${key}`);
      }
      assert.ok(!('extra_dhcp_opts' in listed), 'fields= leaves out what the controller does not read');
    }
    const vm1 = ports.find((p) => p.name === 'vm1')!;
    assert.equal(vm1['binding:host_id'], 'compute-1');
    assert.deepEqual([...vm1.allowed_address_pairs].sort((a, b) => a.ip_address.localeCompare(b.ip_address)), [
      { ip_address: '10.65.0.200', mac_address: vm1.mac_address },
      { ip_address: '10.66.0.0/24', mac_address: 'fa:16:3e:00:00:01' },
    ]);
    assert.deepEqual(vm1.security_groups, [made.web.id]);
  });

  it('listPorts() filters by host, network and ids', async () => {
    const [vm1, vm2, vm3] = made.ports;
    assert.deepEqual(ids(await client.listPorts({ hostId: 'compute-1' })), [vm1!.id]);
    assert.deepEqual(ids(await client.listPorts({ hostId: 'compute-9' })), []);
    assert.deepEqual(ids(await client.listPorts({ networkIds: [made.networks[2]!.id] })), [vm3!.id]);
    assert.deepEqual(ids(await client.listPorts({ ids: [vm1!.id, vm2!.id, randomUUID()] })), ids([vm1!, vm2!]));
    assert.deepEqual(ids(await client.listPorts({ ids: [vm1!.id, vm2!.id], hostId: 'compute-2' })), [vm2!.id]);
  });

  it('lists the same objects one per page, with one id per request and in network shards', async () => {
    const paged = new NeutronRestClient({ url: lab.neutronUrl, auth: { type: 'noauth' }, pageSize: 1, maxFilterValues: 1, concurrency: 2 });
    assert.deepEqual(byId(await paged.listPorts()), byId(await client.listPorts()));
    assert.deepEqual(byId(await paged.listNetworks()), byId(await client.listNetworks()));
    assert.deepEqual(byId(await paged.listSecurityGroups()), byId(await client.listSecurityGroups()));
    const wanted = made.ports.map((p) => p.id);
    assert.deepEqual(ids(await paged.listPorts({ ids: wanted })), [...wanted].sort());
    const sharded = new NeutronRestClient({ url: lab.neutronUrl, auth: { type: 'noauth' }, portShards: 2 });
    assert.deepEqual(byId(await sharded.listPorts()), byId(await client.listPorts()));
    assert.deepEqual(ids(await sharded.listPorts({ hostId: 'compute-2' })), [made.ports[1]!.id]);
  });

  it('get*() return the object, or undefined for an id Neutron does not have (404)', async () => {
    assert.equal((await client.getPort(made.ports[0]!.id))?.name, 'vm1');
    assert.equal((await client.getNetwork(made.networks[2]!.id))?.name, 'lab-net-2');
    assert.equal((await client.getSubnet(made.subnets[2]!.id))?.name, 'v6');
    assert.equal((await client.getSecurityGroup(made.db.id))?.security_group_rules.length, 4);
    assert.equal(await client.getPort(randomUUID()), undefined);
    assert.equal(await client.getNetwork(randomUUID()), undefined);
    assert.equal(await client.getSubnet(randomUUID()), undefined);
    assert.equal(await client.getSecurityGroup(randomUUID()), undefined);
  });

  it('listFloatingIps() returns the floating IP with its port and fixed address', async () => {
    const [vm1, vm2] = made.ports;
    const fips = await client.listFloatingIps();
    assert.deepEqual(fips.map((f) => [f.id, f.port_id, f.fixed_ip_address, f.floating_ip_address]), [
      [made.floatingIp.id, vm1!.id, vm1!.fixed_ips[0]!.ip_address, made.floatingIp.floating_ip_address],
    ]);
    assert.deepEqual(ids(await client.listFloatingIps({ portIds: [vm1!.id, vm2!.id] })), [made.floatingIp.id]);
    assert.deepEqual(await client.listFloatingIps({ portIds: [vm2!.id] }), []);
  });

  it('listQosPolicies() is [] when Neutron has no QoS plugin; listProjects() is [] under noauth', async () => {
    assert.deepEqual(await client.listQosPolicies(), []);
    assert.deepEqual(await client.listProjects(), []);
  });

  it('reports a request Neutron refuses with method, path and status, without retrying it', async () => {
    // A URL longer than eventlet's request-line limit: refused before Neutron's own code runs.
    await assert.rejects(client.getPort('x'.repeat(9_000)), (err: Error) => {
      assert.match(err.message, /^Neutron request GET \/v2\.0\/ports\/x+… failed: HTTP 414: /);
      return true;
    });
  });
});
