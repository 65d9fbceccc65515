/**
 * `percale agent` end to end, the real executable with the real calculation graph, nftables
 * dataplane and host networking, inside a private network namespace with its own etcd on the
 * namespace's loopback and a veth named like a Nova tap. Needs root, iproute2, nft and etcd;
 * skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Resource } from '@percale/api';

const run = promisify(execFile);
const ns = `percale-agent-${randomUUID().slice(0, 8)}`;
const inNs = (...args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
const root = new URL('../../../', import.meta.url).pathname;

async function available(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', ['netns', 'list']);
    await run('nft', ['--version']);
    await run('etcd', ['--version']);
    return true;
  } catch {
    return false;
  }
}
const skip = !(await available()) && 'needs root, ip netns, nft and etcd';

const v3 = 'projectcalico.org/v3';
const wep: Resource = {
  apiVersion: v3, kind: 'WorkloadEndpoint',
  metadata: { namespace: 'openstack-region-r1', name: 'compute--1-openstack-vm1-port1', labels: { 'sg.projectcalico.org/openstack-sg1': '', 'projectcalico.org/namespace': 'openstack-region-r1', 'projectcalico.org/orchestrator': 'openstack' } },
  spec: { node: 'compute-1', orchestrator: 'openstack', workload: 'vm1', endpoint: 'port1', interfaceName: 'tapport1', mac: '02:00:00:00:00:01', ipNetworks: ['10.65.0.2/32'] },
};

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('percale agent in a network namespace', { skip }, () => {
  let etcd: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentExit: Promise<number | null> | undefined;
  const dataDir = `/dev/shm/percale-agent-e2e-${randomUUID()}`;
  const endpoint = 'http://127.0.0.1:23790';

  before(async () => {
    await run('ip', ['netns', 'add', ns]);
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await inNs('ip', 'link', 'add', 'tapport1', 'type', 'veth', 'peer', 'name', 'tpeer1');
    await inNs('ip', 'link', 'set', 'tpeer1', 'up');
    await inNs('ip', 'link', 'set', 'tapport1', 'up');
    // etcd lives in the namespace too, so the agent reaches it on the namespace's loopback.
    etcd = spawn('ip', ['netns', 'exec', ns, 'etcd', '--data-dir', dataDir, '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', 'http://127.0.0.1:23800', '--initial-advertise-peer-urls', 'http://127.0.0.1:23800', '--initial-cluster', 'default=http://127.0.0.1:23800',
      '--heartbeat-interval', '10', '--election-timeout', '100', '--log-level', 'error', '--logger', 'zap'], { stdio: 'ignore' });
    // Seed through a helper process in the namespace (this test process stays outside it).
    const seed = (resource: Resource) => inNs(`${root}node_modules/.bin/node`, '--input-type=module', '-e',
      `import { EtcdStore } from '@percale/datastore'; const s = new EtcdStore({ endpoints: ['${endpoint}'] }); await s.apply(${JSON.stringify(resource)}); await s.close();`);
    await until('etcd', async () => (await inNs('curl', '-sf', `${endpoint}/health`)).stdout.includes('true'));
    await seed({ apiVersion: v3, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterType: 'openstack', datastoreReady: true, clusterGUID: 'g' } });
    await seed({ apiVersion: v3, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { interfacePrefix: 'tap', endpointReportingEnabled: true } });
    await seed({ apiVersion: v3, kind: 'NetworkPolicy', metadata: { namespace: 'openstack-region-r1', name: 'ossg.default.sg1' }, spec: { selector: 'has(sg.projectcalico.org/openstack-sg1)', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22] } }], egress: [{ action: 'Allow' }] } });
    await seed(wep);
    agent = spawn('ip', ['netns', 'exec', ns, `${root}packages/cli/bin/percale`, 'agent', '-c', '/nonexistent/felix.cfg'], {
      env: { ...process.env, ETCD_ENDPOINTS: endpoint, FELIX_FELIXHOSTNAME: 'compute-1', FELIX_OPENSTACKREGION: 'r1', FELIX_LOGFILEPATH: 'none', FELIX_LOGSEVERITYSCREEN: 'WARNING', FELIX_HEALTHENABLED: 'true', FELIX_HEALTHHOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    agentExit = new Promise((resolve) => agent!.on('exit', (code) => resolve(code)));
  });

  after(async () => {
    agent?.kill('SIGTERM');
    await agentExit;
    etcd?.kill('SIGTERM');
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('rm', ['-rf', dataDir]);
  });

  const etcdctl = async (...args: string[]) => (await inNs('etcdctl', '--endpoints', endpoint, ...args)).stdout;

  it('programs the table and the route, reports ready, and writes status keys', async () => {
    await until('route to the VM', async () => (await inNs('ip', 'route', 'show', 'dev', 'tapport1')).stdout.includes('10.65.0.2'));
    const ruleset = (await inNs('nft', 'list', 'ruleset')).stdout;
    assert.match(ruleset, /^table inet percale/m);
    assert.ok(ruleset.includes('tapport1'), 'the dispatch names the tap');
    await until('readiness', async () => (await inNs('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9099/readiness')).stdout === '200');
    const key = '/calico/felix/v2/region-r1/host/compute-1/workload/openstack/openstack-region-r1%2fvm1/endpoint/port1';
    await until('endpoint status up', async () => (await etcdctl('get', '--print-value-only', key)).trim() === '{"status":"up"}');
    await until('heartbeat', async () => (await etcdctl('get', '--print-value-only', '/calico/felix/v2/region-r1/host/compute-1/status')).includes('"first_update":true'));
  });

  it('removes the route and the status key when the endpoint is deleted', async () => {
    await etcdctl('del', `/calico/resources/v3/projectcalico.org/workloadendpoints/openstack-region-r1/${wep.metadata.name}`);
    await until('route gone', async () => (await inNs('ip', 'route', 'show', 'dev', 'tapport1')).stdout.trim() === '');
    await until('status key gone', async () => (await etcdctl('get', '--prefix', '--keys-only', '/calico/felix/v2/region-r1/host/compute-1/workload/')).trim() === '');
  });

  it('exits with 129 when FelixConfiguration changes, and leaves the table in place', async () => {
    await etcdctl('put', '/calico/resources/v3/projectcalico.org/felixconfigurations/default',
      JSON.stringify({ kind: 'FelixConfiguration', apiVersion: v3, metadata: { name: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { interfacePrefix: 'tap', endpointReportingEnabled: true, metadataPort: 8776 } }));
    assert.equal(await agentExit, 129);
    assert.match((await inNs('nft', 'list', 'tables')).stdout, /inet percale/);
  });
});
