/**
 * The dataplane against the real kernel and nft 1.0.6, inside private network namespaces:
 * a host namespace holding the table and two "VM" namespaces behind veth pairs named like
 * Nova taps. Needs root, `ip`, `nft`, `nc` (netcat-openbsd); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { parseTableListing } from '../drivers/nftables/listing.ts';
import type { DataplaneMessage, EndpointID, LocalEndpoint, PolicyID, Rule } from '../messages.ts';
import { inNetns, spawnExec } from '../shims/exec.ts';
import { Dataplane } from './dataplane.ts';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const usable = process.getuid?.() === 0 && has('ip') && has('nft') && has('nc');
const id = randomBytes(3).toString('hex');
const HOST = `percale-t-${id}`;
const VM_A = `percale-t-${id}-a`;
const VM_B = `percale-t-${id}-b`;
const VM_C = `percale-t-${id}-c`;

function sh(...argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(ns: string, ...argv: string[]): string {
  return sh('ip', 'netns', 'exec', ns, ...argv);
}

/** True when a TCP connection from `ns` (optionally from `src`) to `dst:port` succeeds within 1 s. */
function connects(ns: string, dst: string, port: number, src?: string): boolean {
  try {
    inNs(ns, 'nc', '-z', '-w', '1', ...(src ? ['-s', src] : []), dst, String(port));
    return true;
  } catch {
    return false;
  }
}

function rule(partial: Partial<Rule>): Rule {
  return {
    action: 'allow', srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], srcPorts: [], notSrcPorts: [], dstPorts: [], notDstPorts: [],
    srcIPSets: [], notSrcIPSets: [], dstIPSets: [], notDstIPSets: [], srcNamedPortIPSets: [], notSrcNamedPortIPSets: [], dstNamedPortIPSets: [], notDstNamedPortIPSets: [],
    ...partial,
  };
}

const web: PolicyID = { kind: 'NetworkPolicy', namespace: 'openstack-region-r1', name: 'ossg.default.web' };
const everyFeature: PolicyID = { kind: 'GlobalNetworkPolicy', name: 'every-feature' };
const epA: EndpointID = { namespace: 'openstack-region-r1', name: 'host-openstack-vma-porta' };
const epB: EndpointID = { namespace: 'openstack-region-r1', name: 'host-openstack-vmb-portb' };

function endpoint(iface: string, ips: string[], tiers: LocalEndpoint['tiers'], extra: Partial<LocalEndpoint> = {}): LocalEndpoint {
  return {
    interfaceName: iface, orchestrator: 'openstack', workload: 'openstack-region-r1/vm', endpoint: 'port',
    ipv4Nets: ips.map((ip) => `${ip}/32`), ipv6Nets: [], ipv4NAT: [], ipv6NAT: [], profileIds: ['baseline'],
    tiers, allowSpoofedSourcePrefixes: [], ...extra,
  };
}

// A policy with one rule per rule feature, so the kernel has to accept every shape the renderer writes.
const featureRules: Rule[] = [
  rule({ protocol: 6, dstPorts: [{ first: 22, last: 22 }] }),
  rule({ protocol: 17, srcPorts: [{ first: 1000, last: 2000 }], dstPorts: [{ first: 53, last: 53 }, { first: 5353, last: 5353 }] }),
  rule({ action: 'deny', protocol: 6, notDstPorts: [{ first: 1, last: 1024 }, { first: 8080, last: 8080 }] }),
  rule({ action: 'pass', srcNets: ['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8', 'fd01:2::/32'] }),
  rule({ action: 'log', notSrcNets: ['172.16.0.0/12'], notDstNets: ['fd00::1/128'] }),
  rule({ srcIPSets: ['s:a'], notDstIPSets: ['s:b'] }),
  rule({ protocol: 6, dstPorts: [{ first: 8443, last: 8443 }], dstNamedPortIPSets: ['n:http'] }),
  rule({ notSrcNamedPortIPSets: ['n:http'], protocol: 17 }),
  rule({ protocol: 1, icmp: { type: 8, code: 0 } }),
  rule({ protocol: 58, icmp: { type: 128 } }),
  rule({ action: 'deny', protocol: 1, notICMP: { type: 3, code: 4 } }),
  rule({ action: 'log', protocol: 1, notICMP: { type: 5, code: 1 } }),
  rule({ notProtocol: 17, ipVersion: 6 }),
  rule({ protocol: 132, dstPorts: [{ first: 9, last: 9 }] }),
  rule({ protocol: 136, srcPorts: [{ first: 7, last: 7 }] }),
  rule({ neverMatches: true }),
];

function messages(): DataplaneMessage[] {
  return [
    { type: 'ipset-update', id: 's:a', setType: 'net', members: ['10.65.0.2/32', '10.0.0.0/8', '10.1.2.3/32', 'fd00::2/128'] },
    { type: 'ipset-update', id: 's:b', setType: 'net', members: ['10.65.0.3/32'] },
    { type: 'ipset-update', id: 'n:http', setType: 'ip-and-port', members: ['10.65.0.3,tcp:8080', 'fd00::3,tcp:8080'] },
    {
      type: 'policy-update', id: web,
      policy: { tier: 'default', untracked: false, preDNAT: false, applyOnForward: false, inbound: [rule({ protocol: 6, dstPorts: [{ first: 8080, last: 8080 }], srcIPSets: ['s:a'] })], outbound: [rule({})] },
    },
    { type: 'policy-update', id: everyFeature, policy: { tier: 'admin', untracked: false, preDNAT: false, applyOnForward: false, inbound: featureRules, outbound: featureRules } },
    { type: 'profile-update', id: 'baseline', profile: { inbound: [rule({ srcNets: ['10.0.0.0/24'] })], outbound: [rule({})] } },
    {
      type: 'endpoint-update', id: epA,
      endpoint: endpoint('tapa0000000-0a', ['10.65.0.2'], [
        { name: 'admin', defaultAction: 'Pass', ingressPolicies: [everyFeature], egressPolicies: [] },
        { name: 'default', defaultAction: 'Deny', ingressPolicies: [web], egressPolicies: [web] },
      ], { ipv6Nets: ['fd00::2/128'], ipv4NAT: [{ externalIP: '172.24.4.2', internalIP: '10.65.0.2' }], qosControls: { ingressPacketRate: 10000, egressMaxConnections: 1000 } }),
    },
    { type: 'endpoint-update', id: epB, endpoint: endpoint('tapb0000000-0b', ['10.65.0.3'], [{ name: 'default', defaultAction: 'Deny', ingressPolicies: [web], egressPolicies: [web] }]) },
    { type: 'ippool-update', id: 'pool', pool: { cidr: '10.65.0.0/16', natOutgoing: true, disabled: false, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } },
    { type: 'ippool-update', id: 'pool6', pool: { cidr: 'fd00::/64', natOutgoing: true, disabled: false, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } },
    { type: 'in-sync' },
  ];
}

/** The table as nft prints it, without counters. */
function tableText(): string {
  return inNs(HOST, 'nft', 'list', 'table', 'inet', 'percale').replace(/counter packets \d+ bytes \d+/g, 'counter');
}

/** The table's chains (hash lists) and sets (sorted elements): equal when the kernel state is. */
function tableState(): unknown {
  const t = parseTableListing(inNs(HOST, 'nft', '-j', 'list', 'table', 'inet', 'percale'), 'inet', 'percale');
  return {
    chains: Object.fromEntries([...t.chains].sort(([a], [b]) => a.localeCompare(b))),
    sets: Object.fromEntries([...t.sets].sort(([a], [b]) => a.localeCompare(b)).map(([n, s]) => [n, [...s.elements].sort()])),
  };
}

describe('Dataplane in a real kernel', { skip: usable ? false : 'needs root, ip, nft and nc' }, () => {
  const exec = inNetns(spawnExec, HOST);
  let dp: Dataplane;
  let server: ChildProcess | undefined;
  let foreign = 0;

  before(() => {
    for (const ns of [HOST, VM_A, VM_B, VM_C]) sh('ip', 'netns', 'add', ns);
    inNs(HOST, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    sh('ip', '-n', HOST, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', HOST, 'route', 'add', '169.254.1.1/32', 'dev', 'lo', 'scope', 'link');
    for (const [vm, tap, ip] of [[VM_A, 'tapa0000000-0a', '10.65.0.2'], [VM_B, 'tapb0000000-0b', '10.65.0.3'], [VM_C, 'tapc0000000-0c', '10.65.0.4']] as const) {
      sh('ip', 'link', 'add', tap, 'netns', HOST, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
      sh('ip', '-n', vm, 'link', 'set', 'lo', 'up');
      sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', vm, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
      sh('ip', '-n', vm, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
      sh('ip', '-n', vm, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink');
      sh('ip', '-n', HOST, 'link', 'set', tap, 'up');
      inNs(HOST, 'sysctl', '-qw', `net.ipv4.conf.${tap}.proxy_arp=1`, `net.ipv4.neigh.${tap}.proxy_delay=0`);
      sh('ip', '-n', HOST, 'route', 'add', `${ip}/32`, 'dev', tap, 'scope', 'link');
    }
    // vmA's second address: routed to it, but not (yet) one of its endpoint addresses.
    sh('ip', '-n', VM_A, 'addr', 'add', '10.65.0.99/32', 'dev', 'eth0');
    sh('ip', '-n', HOST, 'route', 'add', '10.65.0.99/32', 'dev', 'tapa0000000-0a', 'scope', 'link');
    server = spawn('ip', ['netns', 'exec', VM_B, 'nc', '-lk', '8080'], { stdio: 'ignore' });
    dp = new Dataplane({}, { exec, onForeignChange: () => foreign++ });
  });

  after(() => {
    dp?.close();
    if (server?.pid !== undefined) process.kill(server.pid);
    for (const ns of [HOST, VM_A, VM_B, VM_C]) {
      try {
        sh('ip', 'netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  });

  it('apply() programs a ruleset with every rule feature that nft accepts in one transaction', async () => {
    for (const m of messages()) dp.onMessage(m);
    const r = await dp.apply();
    assert.deepEqual({ wrote: r.wrote, errors: r.errors }, { wrote: true, errors: [] });
    assert.deepEqual(r.endpoints.map((e) => e.status), ['programmed', 'programmed']);
    const text = tableText();
    assert.match(text, /chain pi-gnp\/every-feature \{/);
    // The only inline set is the static ICMPv6 type list in wl-to-host.
    const inline = text.split('\n').filter((l) => l.includes('comment "pc:') && / \{ /.test(l));
    assert.deepEqual(inline.map((l) => /comment "pc:[^;"]+; ([^"]*)"/.exec(l)?.[1]), ['IPv6 neighbour discovery and MLD']);
  });

  it('apply() of a restarted dataplane with the same inputs writes nothing', async () => {
    const fresh = new Dataplane({}, { exec, monitor: false });
    for (const m of messages()) fresh.onMessage(m);
    const r = await fresh.apply();
    fresh.close();
    assert.deepEqual({ read: r.read, wrote: r.wrote }, { read: true, wrote: false });
  });

  it('allows traffic the policy allows and drops what it does not', () => {
    assert.equal(connects(VM_A, '10.65.0.3', 8080), true, 'vmA → vmB:8080 is allowed (source in IP set s:a)');
    assert.equal(connects(VM_A, '10.65.0.3', 8081), false, 'vmA → vmB:8081 is not');
  });

  it('drops packets from a workload address the endpoint does not own, and allows it once it does', async () => {
    assert.equal(connects(VM_A, '10.65.0.3', 8080, '10.65.0.99'), false);
    const drops = JSON.parse(inNs(HOST, 'nft', '-j', 'list', 'chain', 'inet', 'percale', 'anti-spoof')) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
    const counted = drops.nftables.flatMap((o) => o.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
    assert.ok(counted > 0, 'the anti-spoofing drop counted the packets');
    // An allowed address pair: the endpoint gains the address, and the IP set with it.
    const m = messages().find((x) => x.type === 'endpoint-update' && x.id === epA) as Extract<DataplaneMessage, { type: 'endpoint-update' }>;
    dp.onMessage({ ...m, endpoint: { ...m.endpoint, ipv4Nets: ['10.65.0.2/32', '10.65.0.99/32'] } });
    dp.onMessage({ type: 'ipset-delta', id: 's:a', added: ['10.65.0.99/32'], removed: [] });
    await dp.apply();
    assert.equal(connects(VM_A, '10.65.0.3', 8080, '10.65.0.99'), true);
  });

  it('drops traffic from a tap interface no endpoint owns (fail closed)', () => {
    assert.equal(connects(VM_C, '10.65.0.3', 8080), false);
  });

  it('apply() enforces an IP set member change with a one-command transaction', async () => {
    dp.onMessage({ type: 'ipset-delta', id: 's:a', added: [], removed: ['10.65.0.2/32', '10.0.0.0/8'] });
    const r = await dp.apply();
    assert.equal(r.commands, 2);
    assert.equal(connects(VM_A, '10.65.0.3', 8080), false);
    dp.onMessage({ type: 'ipset-delta', id: 's:a', added: ['10.65.0.2/32'], removed: [] });
    assert.equal((await dp.apply()).commands, 1);
    assert.equal(connects(VM_A, '10.65.0.3', 8080), true);
  });

  it('apply() re-declares an address set as an interval set at its first CIDR, with the chains using it', async () => {
    dp.onMessage({ type: 'ipset-delta', id: 's:b', added: ['10.70.0.0/16'], removed: [] });
    const r = await dp.apply();
    assert.deepEqual({ wrote: r.wrote, errors: r.errors }, { wrote: true, errors: [] });
    assert.match(tableText(), /set ip4-s-b \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = \{ 10\.65\.0\.3, 10\.70\.0\.0\/16 \}/);
    assert.equal(connects(VM_A, '10.65.0.3', 8080), true);
  });

  it('apply() after a resync repairs a flushed chain, a deleted set element and a deleted map entry', async () => {
    const before = tableState();
    inNs(HOST, 'nft', 'flush', 'chain', 'inet', 'percale', 'tw-tapb0000000-0b');
    inNs(HOST, 'nft', 'delete', 'element', 'inet', 'percale', 'wl-src4', '{ "tapa0000000-0a" . 10.65.0.2 }');
    inNs(HOST, 'nft', 'delete', 'element', 'inet', 'percale', 'to-wl', '{ "tapb0000000-0b" }');
    assert.notDeepEqual(tableState(), before);
    dp.resync();
    const r = await dp.apply();
    assert.deepEqual({ read: r.read, wrote: r.wrote }, { read: true, wrote: true });
    assert.deepEqual(tableState(), before);
    assert.equal(connects(VM_A, '10.65.0.3', 8080), true);
  });

  it('notices a foreign change through nft monitor and repairs it on the next apply', async () => {
    const seen = foreign;
    inNs(HOST, 'nft', 'flush', 'chain', 'inet', 'percale', 'from-wl-dispatch');
    for (let i = 0; i < 50 && foreign === seen; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(foreign > seen, 'the generation monitor reported the change');
    const r = await dp.apply();
    assert.deepEqual({ read: r.read, wrote: r.wrote }, { read: true, wrote: true });
    assert.match(tableText(), /chain from-wl-dispatch \{\n\t\tiifname vmap @from-wl/);
  });

  it('apply() removes an endpoint, its chains and dispatch entries; its traffic is then dropped', async () => {
    dp.onMessage({ type: 'endpoint-remove', id: epB });
    const r = await dp.apply();
    assert.deepEqual(r.endpoints, [{ id: epB, status: 'removed' }]);
    assert.doesNotMatch(tableText(), /tapb0000000-0b/);
    assert.equal(connects(VM_A, '10.65.0.3', 8080), false);
  });
});
