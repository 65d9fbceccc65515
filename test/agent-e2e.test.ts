/**
 * End-to-end proof of `percale agent` with real packets: two compute hosts in two OpenStack
 * regions (network namespaces joined by a veth fabric with static routes), four VMs behind
 * Nova-style taps, one real etcd reached over a unix socket, one agent per host, endpoints and
 * security-group policies written as networking-calico writes them, operator policies applied
 * with the real calicoctl. Needs root, iproute2, nft, etcd, ping and nc; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Resource } from '@percale/api';
import { EtcdStore, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import { labAvailable, NetnsLab, novaTapName, sh, until, type LabHost, type LabVm } from './harness/netns-lab.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const percale = join(root, 'node_modules/.bin/percale');
const calicoctlBin = join(root, 'node_modules/.bin/calicoctl');
const nodeBin = join(root, 'node_modules/.bin/node');
const skip = !(await labAvailable()) && 'needs root, ip netns, nft, etcd, ping and nc';

const v3 = 'projectcalico.org/v3';
/** Security groups (ids as Neutron makes them); WEB and SRC are the ones of the multi-region docs. */
const SG = {
  web: 'a7734e61-b545-452d-a3cd-0189cbd9747a',
  client: '1f0c2b6e-3d4a-4b5c-8d9e-0a1b2c3d4e5f',
  src: '85cc3048-abc3-43cc-89b3-377341426ac5',
  other: '6b1d8f2a-9c3e-4f5a-b6c7-d8e9f0a1b2c3',
} as const;
const ALLOWED_TCP = 8080;
const DENIED_TCP = 8081;
const LONG_LIVED_TCP = 9000;
const WEB_TCP = 80;
const ALLOWED_UDP = 5000;
const DENIED_UDP = 5001;

/** networking-calico's WorkloadEndpoint name: node, orchestrator, workload, endpoint with `-` doubled. */
function wepName(node: string, workload: string, port: string): string {
  return [node, 'openstack', workload, port].map((s) => s.replaceAll('-', '--')).join('-');
}

interface VmSpec {
  vm: LabVm;
  region: string;
  node: string;
  instance: string;
  port: string;
  sgs: string[];
}

/** A WorkloadEndpoint as the Neutron driver writes it for a port in `region`. */
function workloadEndpoint(s: VmSpec): Resource {
  const namespace = `openstack-region-${s.region}`;
  const labels: Record<string, string> = {
    'projectcalico.org/namespace': namespace,
    'projectcalico.org/orchestrator': 'openstack',
    'projectcalico.org/openstack-project-id': 'p-e2e',
    'projectcalico.org/openstack-project-name': 'e2e',
    'projectcalico.org/openstack-network-name': 'calico',
  };
  for (const sg of s.sgs) {
    labels[`sg.projectcalico.org/openstack-${sg}`] = `sg-${sg.slice(0, 8)}`;
    labels[`sg-name.projectcalico.org/openstack-sg-${sg.slice(0, 8)}`] = sg;
  }
  return {
    apiVersion: v3, kind: 'WorkloadEndpoint',
    metadata: { namespace, name: wepName(s.node, s.instance, s.port), labels, annotations: { 'openstack.projectcalico.org/network-id': 'calico-network-id' } },
    spec: {
      orchestrator: 'openstack', workload: s.instance, node: s.node, endpoint: s.port, interfaceName: s.vm.tap,
      mac: s.vm.mac, ipv4Gateway: '169.254.1.1', ipNetworks: [`${s.vm.ip}/32`],
    },
  };
}

type SgRule = { protocol?: 'TCP' | 'UDP' | 'ICMP'; ports?: number[]; fromSg?: string };

/** The `ossg.default.<sg>` NetworkPolicy the Neutron driver writes for a security group. */
function sgPolicy(region: string, sg: string, ingress: SgRule[]): Resource {
  return {
    apiVersion: v3, kind: 'NetworkPolicy',
    metadata: { namespace: `openstack-region-${region}`, name: `ossg.default.${sg}` },
    spec: {
      selector: `has(sg.projectcalico.org/openstack-${sg})`,
      ingress: ingress.map((r) => ({
        action: 'Allow', ipVersion: 4,
        ...(r.protocol ? { protocol: r.protocol } : {}),
        source: r.fromSg ? { selector: `has(sg.projectcalico.org/openstack-${r.fromSg})` } : { nets: ['0.0.0.0/0'] },
        ...(r.ports ? { destination: { ports: r.ports } } : {}),
      })),
      egress: [{ action: 'Allow', ipVersion: 4 }],
    },
  };
}

describe('percale agent end to end: two regions, real traffic', { skip, timeout: 240_000 }, () => {
  const lab = new NetnsLab();
  const dir = `/dev/shm/${lab.prefix}-${randomUUID().slice(0, 8)}`;
  const socket = join(dir, 'etcd.sock');
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore | undefined;
  let hostA: LabHost, hostB: LabHost;
  let web: LabVm, peerA: LabVm, src: LabVm, other: LabVm;
  const specs: VmSpec[] = [];
  const agents = new Map<LabHost, ChildProcess>();
  const agentLog = new Map<LabHost, string>();
  let udpLog = '';
  const hostnames = new Map<LabHost, string>();
  const regions = new Map<LabHost, string>();

  const calicoctl = async (args: string[], yaml?: string): Promise<string> => {
    const file = join(dir, `in-${randomUUID().slice(0, 8)}.yaml`);
    if (yaml) await writeFile(file, yaml);
    const { stdout } = await exec(calicoctlBin, yaml ? [...args, '-f', file] : args, {
      env: { ...process.env, ETCD_ENDPOINTS: etcd!.endpoint }, timeout: 30_000,
    });
    return stdout;
  };
  const etcdGet = async (key: string) =>
    (await sh('etcdctl', ['--endpoints', etcd!.endpoint, 'get', '--print-value-only', key])).trim();

  const startAgent = async (host: LabHost) => {
    const cfg = join(dir, `${host.ns}.cfg`);
    await writeFile(cfg, [
      '[global]',
      `FelixHostname = ${hostnames.get(host)}`,
      `EtcdEndpoints = unix://${socket}:0`,
      'InterfacePrefix = tap',
      `OpenstackRegion = ${regions.get(host)}`,
      'EndpointReportingEnabled = true',
      'ReportingIntervalSecs = 5',
      'NftablesRefreshInterval = 1',
      'RouteRefreshInterval = 5',
      'InterfaceRefreshInterval = 5',
      'HealthEnabled = true',
      'HealthHost = 127.0.0.1',
      'LogFilePath = none',
      'LogSeverityScreen = WARNING',
      '',
    ].join('\n'));
    const child = lab.start(host.ns, [percale, 'agent', '--config-file', cfg]);
    child.stdout!.resume();
    child.stderr!.on('data', (b: Buffer) => agentLog.set(host, ((agentLog.get(host) ?? '') + b.toString()).slice(-6000)));
    agents.set(host, child);
    // Fail fast (with the agent's own words) if it exits instead of becoming ready.
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) =>
      reject(new Error(`agent on ${host.ns} exited with ${code}: ${agentLog.get(host) ?? ''}`))));
    exited.catch(() => undefined);
    await Promise.race([exited, until(`agent on ${host.ns} ready`, async () =>
      (await lab.in(host.ns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9099/readiness'], 3_000)) === '200', 30_000)]);
  };

  /**
   * Makes a datastore change, then waits until a traffic probe sees its effect; prints the time
   * from the start of the write (a probe for "dropped" needs its own 0.3 s timeout to tell).
   */
  const propagation = async (what: string, change: () => Promise<unknown>, probe: () => Promise<boolean>) => {
    const start = Date.now();
    await change();
    await until(what, probe, 20_000);
    console.log(`# ${what}: ${Date.now() - start} ms`);
  };

  before(async () => {
    await mkdir(dir, { recursive: true });
    etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd'), unixSocket: socket });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    await store.apply({ apiVersion: v3, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterType: 'openstack', datastoreReady: true, clusterGUID: randomUUID().replaceAll('-', '') } });

    [hostA, hostB] = await lab.hostPair({ name: 'hostA', vmSubnet: '10.65.0.0/24' }, { name: 'hostB', vmSubnet: '10.65.1.0/24' });
    hostnames.set(hostA, `${lab.prefix}-compute-a`).set(hostB, `${lab.prefix}-compute-b`);
    regions.set(hostA, 'one').set(hostB, 'two');
    const addVm = async (host: LabHost, name: string, ip: string, sgs: string[]) => {
      const port = randomUUID();
      const vm = await lab.vm(host, name, ip, novaTapName(port));
      specs.push({ vm, region: regions.get(host)!, node: hostnames.get(host)!, instance: randomUUID(), port, sgs });
      return vm;
    };
    web = await addVm(hostA, 'web', '10.65.0.2', [SG.web]);
    peerA = await addVm(hostA, 'peerA', '10.65.0.3', [SG.client]);
    src = await addVm(hostB, 'src', '10.65.1.2', [SG.src]);
    other = await addVm(hostB, 'other', '10.65.1.3', [SG.other]);

    await store.apply(sgPolicy('one', SG.web, [
      { protocol: 'TCP', ports: [ALLOWED_TCP, LONG_LIVED_TCP] }, { protocol: 'UDP', ports: [ALLOWED_UDP] }, { protocol: 'ICMP' },
    ]));
    await store.apply(sgPolicy('one', SG.client, [{ fromSg: SG.client }]));
    await store.apply(sgPolicy('two', SG.src, [{ fromSg: SG.src }]));
    await store.apply(sgPolicy('two', SG.other, []));
    for (const s of specs) await store.apply(workloadEndpoint(s));

    // Servers in the web VM: TCP listeners (-k: keep accepting) and a UDP receiver that
    // prints the source address of every datagram.
    for (const port of [ALLOWED_TCP, DENIED_TCP, WEB_TCP]) lab.start(web.ns, ['nc', '-lk', String(port)]).stdout!.resume();
    const udp = lab.start(web.ns, [nodeBin, '--input-type=commonjs', '-e',
      `const d = require('node:dgram'); for (const p of [${ALLOWED_UDP}, ${DENIED_UDP}]) { const s = d.createSocket('udp4'); s.on('message', (m, r) => console.log(r.address + ' ' + p + ' ' + m)); s.bind(p); }`]);
    udp.stdout!.on('data', (b: Buffer) => { udpLog += b.toString(); });

    await Promise.all([startAgent(hostA), startAgent(hostB)]);
  });

  after(async () => {
    await lab.destroy();
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const udpArrives = async (from: LabVm, port: number, source?: string) => {
    const token = randomUUID().slice(0, 8);
    await lab.sendUdp(from, web.ip, port, token, source);
    const expected = `${source ?? from.ip} ${port} ${token}`;
    return until('datagram', async () => udpLog.includes(expected), 1_500).then(() => true, () => false);
  };

  it('agents program routes and admit only what the security groups allow (TCP, UDP, ICMP)', async () => {
    await until('VM routes on both hosts', async () =>
      (await Promise.all(specs.map(async (s) => (await lab.in(s.vm.host.ns, ['ip', 'route', 'show', 'dev', s.vm.tap])).includes(s.vm.ip)))).every(Boolean));
    assert.equal(await lab.tcpConnects(peerA, web.ip, ALLOWED_TCP), true, 'same host, allowed TCP port');
    assert.equal(await lab.tcpConnects(other, web.ip, ALLOWED_TCP), true, 'across the fabric, allowed TCP port');
    assert.equal(await lab.tcpConnects(peerA, web.ip, DENIED_TCP), false, 'TCP port not in the security group');
    assert.equal(await udpArrives(peerA, ALLOWED_UDP), true, 'allowed UDP port');
    assert.equal(await udpArrives(peerA, DENIED_UDP), false, 'UDP port not in the security group');
    assert.equal(await lab.pings(peerA, web.ip), true, 'ICMP allowed into web');
    assert.equal(await lab.pings(src, web.ip), true, 'ICMP allowed into web across regions');
    assert.equal(await lab.pings(web, peerA.ip), false, 'ICMP into peerA only from its own security group');
    assert.equal(await lab.pings(src, other.ip), false, 'no ingress rules at all on other');
  });

  const gnp = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-tcp-80
spec:
  selector: "has(sg.projectcalico.org/openstack-${SG.web})"
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: "has(sg.projectcalico.org/openstack-${SG.src})"
    destination:
      ports:
      - 80
`;
  const np = (namespaceSelector: boolean) => `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-tcp-80
  namespace: openstack-region-one
spec:
  selector: "has(sg.projectcalico.org/openstack-${SG.web})"
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
${namespaceSelector ? '      namespaceSelector: "all()"\n' : ''}      selector: "has(sg.projectcalico.org/openstack-${SG.src})"
    destination:
      ports:
      - 80
`;

  it('the cross-region GlobalNetworkPolicy admits port 80 from the source group in the other region, and a label change takes effect live', async () => {
    assert.equal(await lab.tcpConnects(src, web.ip, WEB_TCP), false, 'port 80 is closed before the policy');
    await propagation('GlobalNetworkPolicy allow-tcp-80 applied (calicoctl) → region-two source reaches port 80', () => calicoctl(['apply'], gnp), () => lab.tcpConnects(src, web.ip, WEB_TCP, 0.3));
    assert.equal(await lab.tcpConnects(other, web.ip, WEB_TCP), false, 'a VM without the source group stays out');

    // Neutron adds the source security group to the other VM's port: only its labels change.
    const spec = specs.find((s) => s.vm === other)!;
    await propagation('label change (source SG added to a port) → that VM reaches port 80', () => store!.apply(workloadEndpoint({ ...spec, sgs: [SG.other, SG.src] })), () => lab.tcpConnects(other, web.ip, WEB_TCP, 0.3));
    await propagation('label change reverted → that VM is dropped again', () => store!.apply(workloadEndpoint(spec)), async () => !(await lab.tcpConnects(other, web.ip, WEB_TCP, 0.3)));

    await propagation('GlobalNetworkPolicy deleted (calicoctl) → port 80 closed', () => calicoctl(['delete', 'globalnetworkpolicy', 'allow-tcp-80']), async () => !(await lab.tcpConnects(src, web.ip, WEB_TCP, 0.3)));
  });

  it('the namespaced variant needs namespaceSelector: all() to admit sources from another region', async () => {
    await calicoctl(['apply'], np(false));
    await until('policy chain on host A', async () => (await lab.in(hostA.ns, ['nft', 'list', 'chains', 'inet'])).includes('allow-tcp-80'));
    await delay(500);
    assert.equal(await lab.tcpConnects(src, web.ip, WEB_TCP), false, 'without namespaceSelector the source selector stays in region one');
    await propagation('namespaceSelector: all() added (calicoctl) → region-two source reaches port 80', () => calicoctl(['apply'], np(true)), () => lab.tcpConnects(src, web.ip, WEB_TCP, 0.3));
    assert.equal(await lab.tcpConnects(other, web.ip, WEB_TCP), false, 'a VM without the source group stays out');
    await propagation('NetworkPolicy deleted (calicoctl) → port 80 closed', () => calicoctl(['delete', 'networkpolicy', 'allow-tcp-80', '-n', 'openstack-region-one']), async () => !(await lab.tcpConnects(src, web.ip, WEB_TCP, 0.3)));
  });

  it('drops a datagram sent from an address the VM does not own', async () => {
    const spoofed = '10.65.0.99';
    await lab.in(peerA.ns, ['ip', 'addr', 'add', `${spoofed}/32`, 'dev', 'eth0']);
    // A host route for the spoofed address via the same tap passes the kernel's strict reverse
    // path filter, so only the agent's anti-spoofing can stop the datagram.
    await lab.in(hostA.ns, ['ip', 'route', 'add', `${spoofed}/32`, 'dev', peerA.tap, 'proto', 'static']);
    try {
      assert.equal(await udpArrives(peerA, ALLOWED_UDP), true, 'the VM\'s own address passes');
      const spoofDrops = async () => Number(/packets (\d+) bytes \d+ drop/.exec(await lab.in(hostA.ns, ['nft', 'list', 'chain', 'inet', 'percale', 'anti-spoof']))?.[1]);
      const dropsBefore = await spoofDrops();
      assert.equal(await udpArrives(peerA, ALLOWED_UDP, spoofed), false, 'the spoofed source is dropped');
      assert.ok((await spoofDrops()) > dropsBefore, 'by the anti-spoofing chain');
    } finally {
      await lab.in(hostA.ns, ['ip', 'route', 'del', `${spoofed}/32`, 'dev', peerA.tap]).catch(() => undefined);
      await lab.in(peerA.ns, ['ip', 'addr', 'del', `${spoofed}/32`, 'dev', 'eth0']);
    }
  });

  it('an established TCP connection keeps carrying data across an agent restart', async () => {
    const server = lab.start(web.ns, ['nc', '-l', String(LONG_LIVED_TCP)]);
    let received = '';
    server.stdout!.on('data', (b: Buffer) => { received += b.toString(); });
    await delay(200);
    const client = lab.start(other.ns, ['nc', web.ip, String(LONG_LIVED_TCP)]);
    client.stdout!.resume();
    client.stdin!.write('before\n');
    await until('data before the restart', async () => received.includes('before\n'), 5_000);

    const code = await lab.stop(agents.get(hostA)!);
    assert.equal(code, 0, `agent exits cleanly on SIGTERM: ${agentLog.get(hostA) ?? ''}`);
    client.stdin!.write('while-down\n');
    await until('data while the agent is down', async () => received.includes('while-down\n'), 5_000);
    const restart = Date.now();
    await startAgent(hostA);
    console.log(`# agent restart to ready: ${Date.now() - restart} ms`);
    client.stdin!.write('after\n');
    await until('data after the restart', async () => received.includes('after\n'), 5_000);
    assert.equal(server.exitCode, null, 'the server side is still connected');
    assert.equal(await lab.tcpConnects(peerA, web.ip, DENIED_TCP), false, 'the restarted agent still drops what policy denies');
    await lab.stop(client);
    await lab.stop(server);
  });

  it('repairs a flushed endpoint chain within the refresh interval', async () => {
    const chain = `tw-${web.tap}`;
    // Rule handles identify rule instances: a repaired chain has the same rules under new handles.
    const ruleHandles = async () => (await lab.in(hostA.ns, ['nft', '-a', 'list', 'chain', 'inet', 'percale', chain]))
      .split('\n').filter((l) => /^\t\t\S/.test(l) && !l.startsWith('\t\tcomment ')).map((l) => /# handle (\d+)$/.exec(l)?.[1]);
    const original = await ruleHandles();
    assert.ok(original.length > 0 && original.every(Boolean), `chain ${chain} has rules with handles`);
    const flushed = Date.now();
    await lab.in(hostA.ns, ['nft', 'flush', 'chain', 'inet', 'percale', chain]);
    await until('flushed chain rewritten', async () => {
      const now = await ruleHandles();
      return now.length === original.length && now.every((h) => !original.includes(h));
    }, 10_000);
    const repairMs = Date.now() - flushed;
    console.log(`# flushed chain rewritten: ${repairMs} ms (NftablesRefreshInterval = 1 s)`);
    assert.ok(repairMs < 1_000 + 1_000, `repaired within the refresh interval plus one apply (took ${repairMs} ms)`);
    assert.equal(await lab.tcpConnects(peerA, web.ip, ALLOWED_TCP), true);
    assert.equal(await lab.tcpConnects(peerA, web.ip, DENIED_TCP), false);
  });

  it('writes the heartbeat of each host and reports every endpoint up', async () => {
    for (const host of [hostA, hostB]) {
      const status = JSON.parse(await etcdGet(`/calico/felix/v2/region-${regions.get(host)}/host/${hostnames.get(host)}/status`)) as Record<string, unknown>;
      assert.equal(typeof status['time'], 'string');
      assert.equal(typeof status['uptime'], 'number');
    }
    for (const s of specs) {
      const key = `/calico/felix/v2/region-${s.region}/host/${s.node}/workload/openstack/openstack-region-${s.region}%2f${s.instance}/endpoint/${s.port}`;
      await until(`status of ${key}`, async () => (await etcdGet(key)) === '{"status":"up"}', 10_000);
    }
  });
});
