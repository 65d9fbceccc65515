import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointID, LocalEndpoint } from '../../messages.ts';
import { HostNetworking, type EndpointStatus, type HostNetworkingConfig } from './host-networking.ts';
import { FakeKernel, FakeTimers, MemorySysctls, kernelLink } from './testing/fake-kernel.ts';

function endpoint(iface: string, fields: Partial<LocalEndpoint> = {}): LocalEndpoint {
  return {
    interfaceName: iface,
    mac: 'fa:16:3e:00:00:01',
    orchestrator: 'openstack',
    workload: 'openstack-region-r1/vm1',
    endpoint: 'port1',
    ipv4Nets: ['10.65.0.2/32'],
    ipv6Nets: [],
    ipv4NAT: [],
    ipv6NAT: [],
    profileIds: [],
    tiers: [],
    allowSpoofedSourcePrefixes: [],
    ...fields,
  };
}

const ID: EndpointID = { namespace: 'openstack', name: 'node1-openstack-vm1-port1' };

function setup(config: Partial<HostNetworkingConfig> = {}) {
  const kernel = new FakeKernel();
  const timers = new FakeTimers();
  const sysctls = new MemorySysctls();
  const statuses: [string, EndpointStatus | undefined][] = [];
  let applyRequests = 0;
  const net = new HostNetworking(
    { interfacePrefixes: ['tap'], ...config },
    {
      ip: kernel, sysctls, timers,
      onApplyNeeded: () => { applyRequests++; },
      onEndpointStatus: (id, status) => statuses.push([id.name, status]),
    },
  );
  /** Lets the interface monitor's reads finish. */
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  /** Changes a link in the fake kernel and announces it as `ip monitor` would. */
  const linkEvent = async (name: string, ifindex: number, up: boolean) => {
    kernel.addLink(kernelLink(name, ifindex, up));
    kernel.monitorHandlers?.onLine(`${ifindex}: ${name}: <BROADCAST,MULTICAST${up ? ',UP,LOWER_UP' : ''}> mtu 1500 state ${up ? 'UP' : 'DOWN'}`);
    await settle();
  };
  return { kernel, timers, sysctls, net, statuses, settle, linkEvent, applyRequests: () => applyRequests };
}

describe('HostNetworking', () => {
  it('start() writes only the global sysctls; apply() writes nothing until calc and interfaces are in sync', async () => {
    const { kernel, sysctls, net, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const list = kernel.listLinks.bind(kernel);
    kernel.listLinks = async () => { await gate; return list(); };
    await net.start();
    assert.deepEqual(sysctls.writes.flat().map((s) => s.key), ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/netfilter/nf_conntrack_acct']);
    net.onMessage({ type: 'endpoint-update', id: ID, endpoint: endpoint('tap1') });
    net.onMessage({ type: 'in-sync' });
    assert.equal((await net.apply()).applied, false, 'interface monitor not in sync yet');
    release();
    await settle();
    assert.equal(net.ready, true);
    const result = await net.apply();
    assert.equal(result.applied, true);
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tap1');
    assert.equal(sysctls.values.get('net/ipv4/conf/tap1/proxy_arp'), '1');
    await net.stop();
  });

  it('apply() before the calculation graph is in sync writes nothing', async () => {
    const { kernel, sysctls, net, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    await net.start();
    await settle();
    net.onEndpointUpdate(ID, endpoint('tap1'));
    assert.deepEqual(await net.apply(), { applied: false, failures: 0, rescheduleAfterMs: undefined });
    assert.equal(kernel.batches.length, 0);
    assert.equal(kernel.reads.routes, 0);
    assert.equal(sysctls.writes.length, 1);
    await net.stop();
  });

  it('an endpoint on a tap that comes up later gets routes, sysctls and status up when it does', async () => {
    const { kernel, net, statuses, settle, linkEvent, sysctls, applyRequests } = setup();
    kernel.addLink(kernelLink('tap1', 10, false));
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onEndpointUpdate(ID, endpoint('tap1'));
    await net.apply();
    assert.equal(kernel.routes.length, 0);
    assert.equal(sysctls.values.has('net/ipv4/conf/tap1/proxy_arp'), false, 'no sysctls for a down interface');
    assert.deepEqual(statuses, [[ID.name, 'down']]);

    const requests = applyRequests();
    await linkEvent('tap1', 10, true);
    assert.ok(applyRequests() > requests, 'an interface change asks for an apply');
    await net.apply();
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tap1');
    assert.equal(sysctls.values.get('net/ipv4/conf/tap1/proxy_arp'), '1');
    assert.deepEqual(statuses.at(-1), [ID.name, 'up']);
    assert.equal(net.endpointStatus(ID), 'up');

    await linkEvent('tap1', 10, false);
    await net.apply();
    assert.equal(kernel.routes.length, 0);
    assert.deepEqual(statuses.at(-1), [ID.name, 'down']);
    await net.stop();
  });

  it('onEndpointRemove() removes the routes and the status', async () => {
    const { kernel, net, statuses, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onMessage({ type: 'endpoint-update', id: ID, endpoint: endpoint('tap1') });
    await net.apply();
    net.onMessage({ type: 'endpoint-remove', id: ID });
    await net.apply();
    assert.equal(kernel.routes.length, 0);
    assert.deepEqual(statuses, [[ID.name, 'up'], [ID.name, undefined]]);
    assert.equal(net.endpointStatus(ID), undefined);
    await net.stop();
  });

  it('routes floating IPs of OpenStack endpoints, and of others only with FloatingIPs enabled', async () => {
    for (const [orchestrator, floatingIPs, want] of [['openstack', false, 3], ['k8s', false, 1], ['k8s', true, 3]] as const) {
      const { kernel, net, settle } = setup({ floatingIPs });
      kernel.addLink(kernelLink('tap1', 10));
      await net.start();
      await settle();
      net.onMessage({ type: 'in-sync' });
      net.onEndpointUpdate(ID, endpoint('tap1', {
        orchestrator,
        ipv4NAT: [{ externalIP: '172.24.4.10', internalIP: '10.65.0.2' }],
        ipv6NAT: [{ externalIP: '2001:db8::10', internalIP: 'fd00::2' }],
      }));
      await net.apply();
      assert.equal(kernel.routes.length, want, `${orchestrator} floatingIPs=${floatingIPs}`);
      await net.stop();
    }
  });

  it('sets rp_filter 0 for spoofing exemptions under WorkloadSourceSpoofing=Any and rewrites sysctls only when they change', async () => {
    const { kernel, net, sysctls, settle } = setup({ workloadSourceSpoofing: 'Any' });
    kernel.addLink(kernelLink('tap1', 10));
    sysctls.values.set('net/ipv4/conf/default/rp_filter', '2');
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onEndpointUpdate(ID, endpoint('tap1'));
    await net.apply();
    assert.equal(sysctls.values.get('net/ipv4/conf/tap1/rp_filter'), '2');
    const writes = sysctls.writes.length;
    net.onEndpointUpdate(ID, endpoint('tap1', { profileIds: ['openstack-sg-x'] }));
    await net.apply();
    assert.equal(sysctls.writes.length, writes, 'a policy-only change writes no sysctls');
    net.onEndpointUpdate(ID, endpoint('tap1', { allowSpoofedSourcePrefixes: ['192.0.2.0/24'] }));
    await net.apply();
    assert.equal(sysctls.values.get('net/ipv4/conf/tap1/rp_filter'), '0');
    await net.stop();
  });

  it('keeps an interface whose required sysctls failed down, and retries them', async () => {
    const { kernel, net, sysctls, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    sysctls.missing.add('net/ipv4/conf/tap1/proxy_arp');
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onEndpointUpdate(ID, endpoint('tap1'));
    assert.equal((await net.apply()).failures, 1);
    assert.equal(net.endpointStatus(ID), 'down');
    sysctls.missing.clear();
    assert.equal((await net.apply()).failures, 0);
    assert.equal(net.endpointStatus(ID), 'up');
    await net.stop();
  });

  it('gives an interface claimed by two endpoints to the lower key, and to the other when it goes', async () => {
    const { kernel, net, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    const other: EndpointID = { namespace: 'openstack', name: 'a-first' };
    net.onEndpointUpdate(ID, endpoint('tap1'));
    net.onEndpointUpdate(other, endpoint('tap1', { ipv4Nets: ['10.65.0.9/32'] }));
    await net.apply();
    assert.deepEqual(kernel.routes.map((r) => r.dst), ['10.65.0.9/32']);
    net.onEndpointRemove(other);
    await net.apply();
    assert.deepEqual(kernel.routes.map((r) => r.dst), ['10.65.0.2/32']);
    await net.stop();
  });

  it('queues a full route resync every RouteRefreshInterval that repairs a deleted route', async () => {
    const { kernel, net, settle, timers, applyRequests } = setup({ routeRefreshIntervalMs: 90_000, interfaceRefreshIntervalMs: 0 });
    kernel.addLink(kernelLink('tap1', 10));
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onEndpointUpdate(ID, endpoint('tap1'));
    await net.apply();
    kernel.routes = [];
    await net.apply();
    assert.equal(kernel.routes.length, 0, 'an incremental apply does not notice');
    const requests = applyRequests();
    timers.advance(99_001);
    assert.ok(applyRequests() > requests);
    await settle();
    await net.apply();
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tap1');
    await net.stop();
  });

  it('apply() calls made at once run one after the other', async () => {
    const { kernel, net, settle } = setup();
    kernel.addLink(kernelLink('tap1', 10));
    await net.start();
    await settle();
    net.onMessage({ type: 'in-sync' });
    net.onEndpointUpdate(ID, endpoint('tap1'));
    const results = await Promise.all([net.apply(), net.apply()]);
    assert.deepEqual(results.map((r) => r.failures), [0, 0]);
    assert.equal(kernel.batches.length, 1);
    await net.stop();
  });
});
