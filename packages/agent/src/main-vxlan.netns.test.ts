/**
 * `percale agent` with a VXLAN pool, end to end: two host namespaces on one fabric with no
 * routes to each other's VMs, a VM on each, one etcd reached over a unix socket, the real
 * executable on each host. The Nodes carry only their BGP address (as `percale bgp` registers
 * them); the agents must choose and write their tunnel addresses, build `vxlan.calico` from
 * each other's Nodes and carry VM traffic. Needs root, iproute2, bridge, nft, etcd, ping and nc.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import { EtcdStore, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import { spawnExec } from './shims/exec.ts';
import { rootWith, sh, waitFor } from './testing/netns-shell.ts';

const skip = !(await rootWith('ip', 'bridge', 'nft', 'etcd', 'ping', 'curl')) && 'needs root, ip, bridge, nft, etcd, ping and curl';
const root = new URL('../../../', import.meta.url).pathname;
const rand = randomBytes(3).toString('hex');
const v3 = 'projectcalico.org/v3';
const HOSTS = [
  { name: `pcv-${rand}-a`, ns: `pcv-${rand}-ha`, vmNs: `pcv-${rand}-va`, fabric: '10.99.0.1', vm: '10.65.0.2', tap: 'tapa0000001' },
  { name: `pcv-${rand}-b`, ns: `pcv-${rand}-hb`, vmNs: `pcv-${rand}-vb`, fabric: '10.99.0.2', vm: '10.65.1.2', tap: 'tapb0000001' },
] as const;

describe('percale agent with a VXLAN pool, two hosts', { skip, timeout: 120_000 }, () => {
  const dir = `/dev/shm/pcv-${rand}-${randomUUID().slice(0, 8)}`;
  const socket = join(dir, 'etcd.sock');
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore | undefined;
  const agents: ChildProcess[] = [];
  const logs = new Map<string, string>();
  let startedAt = 0;

  before(async () => {
    await mkdir(dir, { recursive: true });
    for (const h of HOSTS) {
      for (const ns of [h.ns, h.vmNs]) {
        await sh('ip', 'netns', 'add', ns);
        await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      }
    }
    await sh('ip', 'link', 'add', 'fab0', 'netns', HOSTS[0].ns, 'type', 'veth', 'peer', 'name', 'fab0', 'netns', HOSTS[1].ns);
    for (const h of HOSTS) {
      await sh('ip', '-n', h.ns, 'addr', 'add', `${h.fabric}/24`, 'dev', 'fab0');
      await sh('ip', '-n', h.ns, 'link', 'set', 'fab0', 'up');
      await sh('ip', '-n', h.ns, 'route', 'add', '169.254.1.1/32', 'dev', 'lo', 'scope', 'link');
      await sh('ip', 'link', 'add', h.tap, 'netns', h.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.vmNs);
      await sh('ip', '-n', h.vmNs, 'addr', 'add', `${h.vm}/32`, 'dev', 'eth0');
      await sh('ip', '-n', h.vmNs, 'link', 'set', 'eth0', 'up');
      await sh('ip', '-n', h.vmNs, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
      await sh('ip', '-n', h.vmNs, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink');
      await sh('ip', '-n', h.ns, 'link', 'set', h.tap, 'up');
    }
    etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd'), unixSocket: socket });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    const apply = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string) =>
      store!.apply({ apiVersion: v3, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });
    await apply('ClusterInformation', 'default', { clusterType: 'openstack', datastoreReady: true, clusterGUID: rand });
    await apply('IPPool', 'private', { cidr: '10.65.0.0/16', vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true, blockSize: 26, nodeSelector: 'all()' });
    await apply('Profile', 'allow-all', { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] });
    for (const h of HOSTS) {
      await apply('Node', h.name, { bgp: { ipv4Address: `${h.fabric}/24` } });
      const mac = (JSON.parse(await sh('ip', '-n', h.vmNs, '-j', 'link', 'show', 'eth0')) as [{ address: string }])[0].address;
      const dash = (s: string) => s.replaceAll('-', '--');
      const wep: Resource = {
        apiVersion: v3, kind: 'WorkloadEndpoint',
        metadata: { namespace: 'openstack-region-r1', name: `${dash(h.name)}-openstack-vm-${h.tap}`, labels: { 'projectcalico.org/namespace': 'openstack-region-r1', 'projectcalico.org/orchestrator': 'openstack' } },
        spec: { orchestrator: 'openstack', workload: 'vm', node: h.name, endpoint: h.tap, interfaceName: h.tap, mac, ipNetworks: [`${h.vm}/32`], profiles: ['allow-all'] },
      };
      await store.apply(wep);
    }
    startedAt = Date.now();
    for (const h of HOSTS) {
      const cfg = join(dir, `${h.name}.cfg`);
      await writeFile(cfg, [
        '[global]', `FelixHostname = ${h.name}`, `EtcdEndpoints = unix://${socket}:0`, 'InterfacePrefix = tap',
        'HealthEnabled = true', 'HealthHost = 127.0.0.1', 'LogFilePath = none', 'LogSeverityScreen = WARNING', '',
      ].join('\n'));
      const child = spawn('ip', ['netns', 'exec', h.ns, join(root, 'packages/cli/bin/percale'), 'agent', '--config-file', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (b: Buffer) => logs.set(h.name, ((logs.get(h.name) ?? '') + b.toString()).slice(-4000)));
      agents.push(child);
    }
  });

  after(async () => {
    for (const child of agents) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    for (const h of HOSTS) for (const ns of [h.ns, h.vmNs]) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('each agent writes a tunnel address from the pool and a MAC to its Node, keeping the BGP address', async () => {
    const specs = await Promise.all(HOSTS.map(async (h) => {
      let spec: Record<string, unknown> = {};
      await waitFor(`${h.name}'s tunnel address`, async () => {
        spec = (await store!.get({ kind: 'Node', name: h.name })).spec as Record<string, unknown>;
        return typeof spec.ipv4VXLANTunnelAddr === 'string';
      }, 30_000);
      return spec;
    }));
    const addrs = specs.map((s) => String(s.ipv4VXLANTunnelAddr));
    assert.notEqual(addrs[0], addrs[1]);
    for (const [i, s] of specs.entries()) {
      assert.match(addrs[i]!, /^10\.65\.\d+\.\d+$/);
      assert.ok(!HOSTS.some((h) => h.vm === addrs[i]), 'not a VM address');
      assert.match(String(s.vxlanTunnelMACAddr), /^66(:[0-9a-f]{2}){5}$/);
      assert.deepEqual(s.bgp, { ipv4Address: `${HOSTS[i]!.fabric}/24` });
    }
  });

  it('VMs on the two hosts reach each other through vxlan.calico', async () => {
    const [a, b] = HOSTS;
    const ms = await waitFor('VM a → VM b ping', async () =>
      (await spawnExec.run(['ip', 'netns', 'exec', a.vmNs, 'ping', '-c', '1', '-W', '1', b.vm])).exitCode === 0, 60_000)
      .catch((err: unknown) => assert.fail(`${(err as Error).message}\n${[...logs].map(([n, l]) => `${n}: ${l}`).join('\n')}`));
    console.log(`# VXLAN connectivity ${Date.now() - startedAt} ms after the agents started (${ms} ms of polling)`);
    assert.match(await sh('ip', '-n', a.ns, 'route', 'get', b.vm), /dev vxlan\.calico/);
    assert.equal((await spawnExec.run(['ip', 'netns', 'exec', b.vmNs, 'ping', '-c', '1', '-W', '1', a.vm])).exitCode, 0);
    for (const child of agents) assert.equal(child.exitCode, null, 'the agents keep running (writing the Node is no configuration change)');
  });
});
