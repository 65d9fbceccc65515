/**
 * IP pools driving encapsulation and outgoing NAT with real packets: two host namespaces on one
 * veth "fabric" (10.99.0.0/24) with NO routes to each other's VMs, a VM on each, a second VM
 * on host A in a pool without natOutgoing, and an "external" namespace behind host A. Each host
 * runs the real calculation graph, nftables dataplane and host networking (with the VXLAN
 * driver) fed the same datastore resources. Needs root, iproute2, bridge, nft, ping and nc;
 * skipped otherwise. Everything lives in namespaces it creates and deletes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';
import { CalcGraph } from '../../calc/calc-graph.ts';
import { Dataplane } from '../../dataplane/dataplane.ts';
import { inNetns, spawnExec } from '../../shims/exec.ts';
import { rootWith, sh, waitFor } from '../../testing/netns-shell.ts';
import { HostNetworking, kernelShims } from '../routes/host-networking.ts';

const skip = !(await rootWith('ip', 'bridge', 'nft', 'ping', 'nc')) && 'needs root, ip, bridge, nft, ping and nc';
const rand = randomBytes(3).toString('hex');
const NS = {
  hostA: `pcx-${rand}-ha`, hostB: `pcx-${rand}-hb`, vmA: `pcx-${rand}-va`, vmB: `pcx-${rand}-vb`, vmC: `pcx-${rand}-vc`, ext: `pcx-${rand}-ext`,
} as const;
const API = 'projectcalico.org/v3';
const REGION = 'openstack-region-r1';
const ADDR = { hostA: '10.99.0.1', hostB: '10.99.0.2', vmA: '10.65.0.2', vmB: '10.65.1.2', vmC: '10.70.0.2', extHost: '192.0.2.1', ext: '192.0.2.2' };
/** IPv6: vmA's second address in a natOutgoing IPv6 pool; host A and the external side. */
const ADDR6 = { vmA: 'fd65::2', extHost: 'fd99::1', ext: 'fd99::2' };
const TUNNEL = { hostA: '10.65.255.1', hostB: '10.65.255.2' };

const resource = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Resource =>
  ({ apiVersion: API, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });

function node(name: string, address: string, tunnel: string): Resource {
  return resource('Node', name, { bgp: { ipv4Address: address }, ipv4VXLANTunnelAddr: tunnel });
}

function pool(name: string, cidr: string, vxlanMode: string, natOutgoing: boolean): Resource {
  return resource('IPPool', name, { cidr, vxlanMode, ipipMode: 'Never', natOutgoing, blockSize: cidr.includes(':') ? 122 : 26, nodeSelector: 'all()' });
}

function wep(host: string, vm: string, ip: string, tap: string, mac: string, ip6?: string): Resource {
  const dash = (s: string) => s.replaceAll('-', '--');
  return {
    apiVersion: API, kind: 'WorkloadEndpoint',
    metadata: { namespace: REGION, name: `${dash(host)}-openstack-${dash(vm)}-${dash(tap)}`, labels: { 'projectcalico.org/namespace': REGION, 'projectcalico.org/orchestrator': 'openstack' } },
    spec: { orchestrator: 'openstack', workload: vm, node: host, endpoint: tap, interfaceName: tap, mac, ipNetworks: [`${ip}/32`, ...(ip6 ? [`${ip6}/128`] : [])], profiles: ['allow-all'] },
  };
}

/** One compute host: the agent's graph, dataplane and host networking on a namespace. */
class Host {
  readonly calc: CalcGraph;
  readonly dp: Dataplane;
  readonly net: HostNetworking;
  readonly warnings: string[] = [];
  readonly name: string;
  constructor(name: string, ns: string) {
    this.name = name;
    this.calc = new CalcGraph({ hostname: name });
    this.dp = new Dataplane({}, { exec: inNetns(spawnExec, ns), monitor: false });
    const log = { debug() {}, info() {}, error: (m: string) => this.warnings.push(m), warn: (m: string) => this.warnings.push(m) };
    this.net = new HostNetworking({ interfacePrefixes: ['tap'], routeRefreshIntervalMs: 0, interfaceRefreshIntervalMs: 0, vxlan: { hostname: name } }, { ...kernelShims({ netns: ns }), log });
  }
  async update(events: readonly WatchEvent[], inSync = false): Promise<void> {
    for (const e of events) this.calc.onUpdate(e);
    if (inSync) this.calc.onInSync();
    for (const m of this.calc.flush()) {
      this.dp.onMessage(m);
      this.net.onMessage(m);
    }
    await this.dp.apply();
    await waitFor(`${this.name} host networking ready`, () => Promise.resolve(this.net.ready), 10_000);
    const r = await this.net.apply();
    assert.equal(r.failures, 0, `${this.name}: ${this.warnings.join('; ')}`);
  }
}

const put = (resource: Resource): WatchEvent => ({ type: 'MODIFIED', resource, revision: '1' });

async function pingRtt(from: string, to: string, count = 1): Promise<number | undefined> {
  const r = await spawnExec.run(['ip', 'netns', 'exec', from, 'ping', '-n', '-q', '-c', String(count), '-i', '0.01', '-W', '1', to], { timeoutMs: 15_000 });
  if (r.exitCode !== 0) return undefined;
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  return m ? Number(m[1]) : undefined;
}

async function connects(from: string, to: string, port: number): Promise<boolean> {
  return (await spawnExec.run(['ip', 'netns', 'exec', from, 'nc', '-z', '-w', '2', to, String(port)], { timeoutMs: 5_000 })).exitCode === 0;
}

/** Packets a namespace received from `source` (counted by its probe table). */
async function received(ns: string, source: string): Promise<number> {
  const text = await sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'chain', 'ip', 'probe', 'in');
  const m = new RegExp(`ip saddr ${source.replaceAll('.', '\\.')} counter packets (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

async function routeGet(ns: string, to: string): Promise<string> {
  return (await sh('ip', '-n', ns, 'route', 'get', to)).trim();
}

describe('IP pools with VXLAN and natOutgoing, real packets', { skip, timeout: 120_000 }, () => {
  const hostA = new Host('compute-a', NS.hostA);
  const hostB = new Host('compute-b', NS.hostB);
  const servers: ChildProcess[] = [];
  const mac: Record<string, string> = {};
  let nodeA: Resource, nodeB: Resource, vxlanPool: Resource, plainPool: Resource;
  const rtt: Record<string, number | undefined> = {};

  before(async () => {
    for (const ns of Object.values(NS)) {
      await sh('ip', 'netns', 'add', ns);
      await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    }
    await sh('ip', 'link', 'add', 'fab0', 'netns', NS.hostA, 'type', 'veth', 'peer', 'name', 'fab0', 'netns', NS.hostB);
    for (const [ns, ip] of [[NS.hostA, ADDR.hostA], [NS.hostB, ADDR.hostB]] as const) {
      await sh('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'fab0');
      await sh('ip', '-n', ns, 'link', 'set', 'fab0', 'up');
      await sh('ip', '-n', ns, 'route', 'add', '169.254.1.1/32', 'dev', 'lo', 'scope', 'link');
    }
    await sh('ip', 'link', 'add', 'ext0', 'netns', NS.hostA, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS.ext);
    await sh('ip', '-n', NS.hostA, 'addr', 'add', `${ADDR.extHost}/24`, 'dev', 'ext0');
    await sh('ip', '-n', NS.hostA, 'addr', 'add', `${ADDR6.extHost}/64`, 'dev', 'ext0', 'nodad');
    await sh('ip', '-n', NS.hostA, 'link', 'set', 'ext0', 'up');
    await sh('ip', '-n', NS.ext, 'addr', 'add', `${ADDR6.ext}/64`, 'dev', 'eth0', 'nodad');
    await sh('ip', '-n', NS.ext, 'addr', 'add', `${ADDR.ext}/24`, 'dev', 'eth0');
    await sh('ip', '-n', NS.ext, 'link', 'set', 'eth0', 'up');
    // The outside world knows the public pool (BIRD's job in production), never the private one.
    await sh('ip', '-n', NS.ext, 'route', 'add', '10.70.0.0/16', 'via', ADDR.extHost);
    for (const [vm, host, ip, tap] of [[NS.vmA, NS.hostA, ADDR.vmA, 'tapa-0001'], [NS.vmB, NS.hostB, ADDR.vmB, 'tapb-0001'], [NS.vmC, NS.hostA, ADDR.vmC, 'tapc-0001']] as const) {
      await sh('ip', 'link', 'add', tap, 'netns', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
      await sh('ip', '-n', vm, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
      await sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
      await sh('ip', '-n', vm, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
      await sh('ip', '-n', vm, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink');
      await sh('ip', '-n', host, 'link', 'set', tap, 'up');
      mac[vm] = (JSON.parse(await sh('ip', '-n', vm, '-j', 'link', 'show', 'eth0')) as [{ address: string }])[0].address;
    }
    // vmA also speaks IPv6, through a fixed link-local gateway on its tap (no router advertisements here).
    await sh('ip', '-n', NS.vmA, 'addr', 'add', `${ADDR6.vmA}/128`, 'dev', 'eth0', 'nodad');
    await sh('ip', '-n', NS.hostA, 'addr', 'add', 'fe80::1/64', 'dev', 'tapa-0001', 'nodad');
    await sh('ip', '-n', NS.vmA, '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0');
    const probe6 = await spawnExec.run(['ip', 'netns', 'exec', NS.ext, 'nft', '-f', '-'], {
      input: `table ip6 probe6 {\nchain in {\ntype filter hook input priority 0;\nip6 saddr ${ADDR6.extHost} counter\nip6 saddr ${ADDR6.vmA} counter\n}\n}\n`,
    });
    assert.equal(probe6.exitCode, 0, probe6.stderr);
    // Probe tables: count what arrives, by source address.
    for (const ns of [NS.vmB, NS.ext]) {
      const sources = [ADDR.vmA, ADDR.vmC, ADDR.extHost, TUNNEL.hostA, ADDR.hostA].map((a) => `ip saddr ${a} counter\n`).join('');
      const r = await spawnExec.run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: `table ip probe {\nchain in {\ntype filter hook input priority 0;\n${sources}}\n}\n` });
      assert.equal(r.exitCode, 0, r.stderr);
      servers.push(spawn('ip', ['netns', 'exec', ns, 'nc', '-lk', '8080'], { stdio: 'ignore' }));
    }
    nodeA = node('compute-a', `${ADDR.hostA}/24`, TUNNEL.hostA);
    nodeB = node('compute-b', `${ADDR.hostB}/24`, TUNNEL.hostB);
    vxlanPool = pool('private', '10.65.0.0/16', 'Always', true);
    plainPool = pool('public', '10.70.0.0/16', 'Never', false);
    const events = [
      put(nodeA), put(nodeB), put(vxlanPool), put(plainPool),
      put(resource('Profile', 'allow-all', { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] })),
      put(wep('compute-a', 'vm-a', ADDR.vmA, 'tapa-0001', mac[NS.vmA]!, ADDR6.vmA)),
      put(pool('private6', 'fd65::/64', 'Never', true)),
      put(wep('compute-b', 'vm-b', ADDR.vmB, 'tapb-0001', mac[NS.vmB]!)),
      put(wep('compute-a', 'vm-c', ADDR.vmC, 'tapc-0001', mac[NS.vmC]!)),
    ];
    for (const h of [hostA, hostB]) await h.net.start();
    await Promise.all([hostA.update(events, true), hostB.update(events, true)]);
  });

  after(async () => {
    for (const s of servers) if (s.pid !== undefined) process.kill(s.pid);
    for (const h of [hostA, hostB]) {
      h.dp.close();
      await h.net.stop();
    }
    for (const ns of Object.values(NS)) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
    if (Object.keys(rtt).length > 0) console.log(`# ping RTT (ms, mean of 50): ${JSON.stringify(rtt)}`);
  });

  it('creates vxlan.calico with the tunnel address, the VTEP MAC and no learning', async () => {
    const [link] = JSON.parse(await sh('ip', '-n', NS.hostA, '-j', '-d', 'addr', 'show', 'dev', 'vxlan.calico')) as [{
      address: string; mtu: number; linkinfo: { info_data: { id: number; port: number; learning: boolean; local: string } }; addr_info: { local: string }[];
    }];
    assert.deepEqual(
      { vni: link.linkinfo.info_data.id, port: link.linkinfo.info_data.port, learning: link.linkinfo.info_data.learning, local: link.linkinfo.info_data.local, mtu: link.mtu },
      { vni: 4096, port: 4789, learning: false, local: ADDR.hostA, mtu: 1450 },
    );
    assert.ok(link.addr_info.some((a) => a.local === TUNNEL.hostA));
    assert.match(link.address, /^66:/);
    const fdb = await sh('bridge', '-n', NS.hostA, 'fdb', 'show', 'dev', 'vxlan.calico');
    assert.match(fdb, new RegExp(`dst ${ADDR.hostB.replaceAll('.', '\\.')} self permanent`));
  });

  it('VM to VM ping and TCP work through vxlan.calico with no static route between the hosts', async () => {
    assert.match(await routeGet(NS.hostA, ADDR.vmB), new RegExp(`via ${TUNNEL.hostB.replaceAll('.', '\\.')} dev vxlan\\.calico`));
    await waitFor('vmA → vmB ping', async () => (await pingRtt(NS.vmA, ADDR.vmB)) !== undefined, 10_000);
    assert.equal(await connects(NS.vmA, ADDR.vmB, 8080), true);
    assert.ok((await received(NS.vmB, ADDR.vmA)) > 0, 'vmB sees vmA\'s own address: destinations inside a pool are never masqueraded');
    rtt.vxlan = await pingRtt(NS.vmA, ADDR.vmB, 50);
  });

  it('host traffic into the tunnel with a non-tunnel source is masqueraded to the tunnel address', async () => {
    await sh('ip', 'netns', 'exec', NS.hostA, 'ping', '-c', '1', '-W', '1', '-I', ADDR.hostA, ADDR.vmB);
    assert.ok((await received(NS.vmB, TUNNEL.hostA)) > 0);
    assert.equal(await received(NS.vmB, ADDR.hostA), 0);
  });

  it('natOutgoing: a VM in the NAT pool reaches the outside from the host\'s address; a VM in the other pool keeps its own', async () => {
    assert.equal(await connects(NS.vmA, ADDR.ext, 8080), true);
    assert.ok((await received(NS.ext, ADDR.extHost)) > 0, 'masqueraded to host A\'s address on the outgoing interface');
    assert.equal(await received(NS.ext, ADDR.vmA), 0);
    assert.equal(await connects(NS.vmC, ADDR.ext, 8080), true);
    assert.ok((await received(NS.ext, ADDR.vmC)) > 0, 'the public pool keeps its address');
  });

  it('natOutgoing for IPv6: a VM in an IPv6 NAT pool reaches the outside from the host\'s IPv6 address', async () => {
    // The external side has no route back to fd65::/64: only masqueraded echoes come back.
    await waitFor('vmA → ext over IPv6', async () => (await spawnExec.run(['ip', 'netns', 'exec', NS.vmA, 'ping', '-6', '-c', '1', '-W', '1', ADDR6.ext])).exitCode === 0, 10_000);
    const counters = await sh('ip', 'netns', 'exec', NS.ext, 'nft', 'list', 'chain', 'ip6', 'probe6', 'in');
    assert.match(counters, new RegExp(`ip6 saddr ${ADDR6.extHost} counter packets [1-9]`));
    assert.match(counters, new RegExp(`ip6 saddr ${ADDR6.vmA} counter packets 0 `));
  });

  it('drops VXLAN from an address that is no known host', async () => {
    await spawnExec.run(['sh', '-c', `printf x | ip netns exec ${NS.ext} nc -u -w 1 ${ADDR.extHost} 4789`]);
    const chain = await sh('ip', 'netns', 'exec', NS.hostA, 'nft', 'list', 'chain', 'inet', 'percale', 'tunnel-input');
    assert.match(chain, /udp dport 4789 fib daddr type local counter packets [1-9]\d* bytes \d+ drop/);
  });

  it('CrossSubnet routes hosts on the same subnet without encapsulation, others through vxlan.calico', async () => {
    const cross = pool('private', '10.65.0.0/16', 'CrossSubnet', true);
    await Promise.all([hostA.update([put(cross)]), hostB.update([put(cross)])]);
    assert.match(await routeGet(NS.hostA, ADDR.vmB), new RegExp(`via ${ADDR.hostB.replaceAll('.', '\\.')} dev fab0`));
    await waitFor('vmA → vmB ping, unencapsulated', async () => (await pingRtt(NS.vmA, ADDR.vmB)) !== undefined, 10_000);
    assert.equal(await connects(NS.vmA, ADDR.vmB, 8080), true);
    rtt.plain = await pingRtt(NS.vmA, ADDR.vmB, 50);
    // Nodes whose addresses carry no subnet (/32) are never "the same subnet": VXLAN again.
    const bareA = node('compute-a', ADDR.hostA, TUNNEL.hostA);
    const bareB = node('compute-b', ADDR.hostB, TUNNEL.hostB);
    await Promise.all([hostA.update([put(bareA), put(bareB)]), hostB.update([put(bareA), put(bareB)])]);
    assert.match(await routeGet(NS.hostA, ADDR.vmB), /dev vxlan\.calico/);
    await waitFor('vmA → vmB ping, encapsulated again', async () => (await pingRtt(NS.vmA, ADDR.vmB)) !== undefined, 10_000);
  });

  it('removes vxlan.calico and its routes when the pool stops using VXLAN', async () => {
    const plain = pool('private', '10.65.0.0/16', 'Never', true);
    await Promise.all([hostA.update([put(plain)]), hostB.update([put(plain)])]);
    const links = await spawnExec.run(['ip', '-n', NS.hostA, 'link', 'show', 'vxlan.calico']);
    assert.notEqual(links.exitCode, 0);
    assert.equal((await sh('ip', '-n', NS.hostA, 'route', 'show', 'proto', '80')).trim(), '');
    assert.equal(await pingRtt(NS.vmA, ADDR.vmB), undefined, 'no route any more (BIRD would announce one)');
    const chains = await sh('ip', 'netns', 'exec', NS.hostA, 'nft', 'list', 'table', 'inet', 'percale');
    assert.doesNotMatch(chains, /tunnel-input|vxlan-sources4/);
  });
});
