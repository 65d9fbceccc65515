/**
 * End-to-end latency of the agent: a write to the datastore → the change committed in the
 * host's kernel, over hundreds of changes with 1,000 standing security-group policies.
 *
 * One compute host (a network namespace) runs a real `percale agent` against a real etcd
 * (reached over a unix socket from inside the namespace). 100 local endpoints each belong
 * to 10 of 1,000 security groups, so all 1,000 `ossg.default.<sg>` policies are active, each
 * allowing ingress from its own group (1,000 selector IP sets); 2,000 remote endpoints fill
 * those sets. `nft monitor` inside the namespace reports each kernel commit; the clock runs
 * from just before the etcd write until the expected line arrives.
 *
 * Changes measured: (1) a remote VM joins a security group (label change → one IP set
 * element added), (2) a security group rule's port changes (policy update → one chain
 * rewritten). Prints a table and saves bench/results/e2e.json.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { EtcdStore, startLocalEtcd } from '@percale/datastore';
import { workloadEndpointName, type Resource } from '@percale/api';
import { NetnsLab, labAvailable, novaTapName, until } from '../test/harness/netns-lab.ts';

const execFileP = promisify(execFile);
const V3 = 'projectcalico.org/v3';
const NS = 'openstack-region-one';
const SGS = 1000;
const LOCAL = 100;
const REMOTE = 2000;
const SGS_PER_LOCAL = 10;
const LABEL_CHANGES = 300;
const POLICY_CHANGES = 100;
const root = join(import.meta.dirname, '..');
const percale = join(root, 'node_modules/.bin/percale');

const sgId = (i: number) => `${i.toString(16).padStart(8, '0')}-5e6f-4a7b-8c9d-0e1f2a3b4c5d`;
const sgLabel = (i: number) => `sg.projectcalico.org/openstack-${sgId(i)}`;

function endpoint(node: string, i: number, ip: string, sgs: number[], tap?: string): Resource {
  const port = `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${node.length.toString(16).padStart(12, '0')}`;
  const workload = `vm-${node}-${i}`;
  const labels: Record<string, string> = { 'projectcalico.org/namespace': NS, 'projectcalico.org/orchestrator': 'openstack' };
  for (const sg of sgs) labels[sgLabel(sg)] = `sg${sg}`;
  return {
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: { name: workloadEndpointName({ node, orchestrator: 'openstack', workload, endpoint: port }), namespace: NS, labels },
    spec: { orchestrator: 'openstack', node, workload, endpoint: port, interfaceName: tap ?? novaTapName(port), ipNetworks: [`${ip}/32`] },
  };
}

function sgPolicy(i: number, port: number): Resource {
  const sel = `has(${sgLabel(i)})`;
  return {
    apiVersion: V3,
    kind: 'NetworkPolicy',
    metadata: { name: `ossg.default.${sgId(i)}`, namespace: NS },
    spec: {
      selector: sel,
      ingress: [
        { action: 'Allow', ipVersion: 4, source: { selector: sel } },
        { action: 'Allow', ipVersion: 4, protocol: 'TCP', destination: { ports: [port] } },
      ],
      egress: [{ action: 'Allow', ipVersion: 4 }],
    },
  };
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50_ms: +q(0.5).toFixed(1), p90_ms: +q(0.9).toFixed(1), p99_ms: +q(0.99).toFixed(1), max_ms: +s[s.length - 1]!.toFixed(1) };
}

if (!(await labAvailable())) {
  console.error('bench/e2e.ts needs root, ip netns, nft, etcd, ping and nc');
  process.exit(1);
}

const lab = new NetnsLab();
const dir = `/dev/shm/${lab.prefix}-e2e`;
const socket = join(dir, 'etcd.sock');
await mkdir(dir, { recursive: true });
const etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd'), unixSocket: socket });
const store = new EtcdStore({ endpoints: [etcd.endpoint] });
try {
  const [host] = await lab.hostPair({ name: 'host', vmSubnet: '10.66.0.0/16' }, { name: 'peer', vmSubnet: '10.65.0.0/24' });
  const node = `${lab.prefix}-compute`;
  await store.apply({ apiVersion: V3, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterType: 'openstack', datastoreReady: true } });
  await store.apply({ apiVersion: V3, kind: 'Tier', metadata: { name: 'default' }, spec: { order: 1000000, defaultAction: 'Deny' } });

  // Standing state: 1,000 policies, 100 local endpoints (one with a real tap), 2,000 remote ones.
  const vm = await lab.vm(host, 'vm0', '10.65.0.2', 'tap00000000-00');
  const writes: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(writes.splice(0));
  };
  for (let i = 0; i < SGS; i++) {
    writes.push(store.apply(sgPolicy(i, 1000)));
    if (writes.length >= 64) await flush();
  }
  for (let i = 0; i < LOCAL; i++) {
    const sgs = Array.from({ length: SGS_PER_LOCAL }, (_, k) => (i * SGS_PER_LOCAL + k) % SGS);
    writes.push(store.apply(endpoint(node, i, i === 0 ? vm.ip : `10.65.0.${i + 2}`, sgs, i === 0 ? vm.tap : undefined)));
  }
  await flush();
  for (let i = 0; i < REMOTE; i++) {
    writes.push(store.apply(endpoint('remote-host', i, `10.66.${i >> 8}.${i & 255}`, [i % SGS])));
    if (writes.length >= 64) await flush();
  }
  await flush();

  const cfg = join(dir, 'felix.cfg');
  await writeFile(cfg, ['[global]', `FelixHostname = ${node}`, `EtcdEndpoints = unix://${socket}:0`, 'InterfacePrefix = tap',
    'OpenstackRegion = one', 'HealthEnabled = true', 'PrometheusMetricsEnabled = true', 'PrometheusMetricsHost = 127.0.0.1', 'HealthHost = 127.0.0.1', 'LogFilePath = none', 'LogSeverityScreen = WARNING', ''].join('\n'));
  const startedAt = Date.now();
  const agent = lab.start(host.ns, [percale, 'agent', '--config-file', cfg]);
  let agentLog = '';
  agent.stdout!.resume();
  agent.stderr!.on('data', (b: Buffer) => (agentLog = (agentLog + b.toString()).slice(-4000)));
  agent.once('exit', (code) => console.error(`agent exited with ${code}: ${agentLog}`));
  await until('agent ready', async () =>
    (await lab.in(host.ns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9099/readiness'], 3_000)) === '200', 120_000);
  const startupMs = Date.now() - startedAt;
  const ruleset = (await execFileP('ip', ['netns', 'exec', host.ns, 'nft', 'list', 'table', 'inet', 'percale'], { maxBuffer: 1 << 28, timeout: 60_000 }).catch(async (err: unknown) => {
    const tables = (await execFileP('ip', ['netns', 'exec', host.ns, 'nft', 'list', 'tables'])).stdout;
    throw new Error(`no table after readiness; tables: ${tables}; agent log: ${agentLog}`, { cause: err });
  })).stdout;
  const chains = (ruleset.match(/^\tchain /gm) ?? []).length;
  const sets = (ruleset.match(/^\tset /gm) ?? []).length;

  // Kernel commits, as `nft monitor` reports them inside the host namespace.
  const monitor = spawn('ip', ['netns', 'exec', host.ns, 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let waiting: { needle: string; resolve: () => void } | undefined;
  createInterface({ input: monitor.stdout }).on('line', (line) => {
    if (waiting && line.includes(waiting.needle)) {
      const w = waiting;
      waiting = undefined;
      w.resolve();
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  const timed = async (needle: string, write: () => Promise<unknown>): Promise<number> => {
    const seen = new Promise<void>((resolve) => (waiting = { needle, resolve }));
    const t0 = performance.now();
    await write();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no kernel change containing "${needle}" within 10 s`)), 10_000).unref());
    await Promise.race([seen, timeout]);
    return performance.now() - t0;
  };

  const labelMs: number[] = [];
  for (let k = 0; k < LABEL_CHANGES; k++) {
    // Remote endpoint k (in SG k % 1000) also joins SG (k + 1) % 1000: its address becomes a
    // member of that group's IP set.
    const ep = endpoint('remote-host', k, `10.66.${k >> 8}.${k & 255}`, [k % SGS, (k + 1) % SGS]);
    labelMs.push(await timed(`10.66.${k >> 8}.${k & 255}`, () => store.apply(ep)));
  }
  const policyMs: number[] = [];
  for (let k = 0; k < POLICY_CHANGES; k++) {
    const port = 20000 + k;
    policyMs.push(await timed(`dport ${port}`, () => store.apply(sgPolicy(k % SGS, port))));
  }
  monitor.kill();
  const metricsText = await lab.in(host.ns, ['curl', '-s', 'http://127.0.0.1:9091/metrics'], 5_000);
  const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metricsText)?.[1] ?? NaN);
  const agentCounters = { nft_calls: metric('felix_nft_calls'), nft_list_calls: metric('felix_nft_list_calls'), apply_count: metric('felix_int_dataplane_apply_time_seconds_count'), apply_seconds_sum: metric('felix_int_dataplane_apply_time_seconds_sum') };
  console.log('agent counters after the measured changes:', agentCounters);

  // The floor: the same kind of kernel change made directly with one `nft` process (after the
  // agent's runs: the agent rightly treats these as foreign changes and repairs them).
  const someSet = /^\tset (ip4-s-\S+) \{/m.exec(ruleset)?.[1];
  if (!someSet) throw new Error('no selector IP set in the ruleset');
  const rawNftMs: number[] = [];
  for (let k = 0; k < 50; k++) {
    const t0 = performance.now();
    await execFileP('ip', ['netns', 'exec', host.ns, 'nft', 'add', 'element', 'inet', 'percale', someSet, `{ 10.98.0.${k} }`]);
    rawNftMs.push(performance.now() - t0);
  }


  const results = {
    benchmark: 'e2e',
    date: new Date().toISOString(),
    node: process.version,
    load_average_1m: loadavg()[0],
    scale: { policies: SGS, local_endpoints: LOCAL, remote_endpoints: REMOTE, sgs_per_local_endpoint: SGS_PER_LOCAL, kernel_chains: chains, kernel_sets: sets },
    agent_start_to_ready_ms: startupMs,
    agent_counters: agentCounters,
    cases: {
      'label change → IP set member in kernel': stats(labelMs),
      'policy rule change → chain in kernel': stats(policyMs),
      'baseline: one `nft add element` process': stats(rawNftMs),
    },
  };
  console.log(`agent start → ready with ${SGS} policies, ${LOCAL} local and ${REMOTE} remote endpoints: ${startupMs} ms (${chains} chains, ${sets} sets)`);
  console.log('case'.padEnd(44), 'n'.padStart(5), 'p50 ms'.padStart(8), 'p90 ms'.padStart(8), 'p99 ms'.padStart(8), 'max ms'.padStart(8));
  for (const [name, s] of Object.entries(results.cases)) {
    console.log(name.padEnd(44), String(s.n).padStart(5), String(s.p50_ms).padStart(8), String(s.p90_ms).padStart(8), String(s.p99_ms).padStart(8), String(s.max_ms).padStart(8));
  }
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(join(root, 'bench/results/e2e.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await lab.destroy();
  await store.close();
  await etcd.stop();
  await rm(dir, { recursive: true, force: true });
}
