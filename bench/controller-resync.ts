/**
 * The Neutron controller's resync at 100, 1,000 and 3,000 ports in the shape of
 * networking-calico's scale test (√N hosts, N/100 networks with a /24 each, two security
 * groups per network), against a real etcd: cold (etcd empty) and steady (already in sync),
 * per phase, with networking-calico's field names (`scale_ports`, `phase`, `total_ms`,
 * `<phase>_etcd_read_ms`, …). Neutron is an in-memory reader holding the same objects, so the
 * numbers exclude the Neutron API fetch (the targets: steady ≤ 0.5 s, cold ≤ 1 s at
 * 3,000 ports); bench/controller-neutron-fetch.ts measures the fetch from a real Neutron.
 * Runs each case 3 times and reports the median run. Saves bench/results/controller-resync.json.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SILENT_LOGGER } from '@percale/daemon';
import { EtcdStore, startLocalEtcd } from '@percale/datastore';
import { fullScope } from '../packages/controller/src/sync/resync-result.ts';
import type { ResyncResult } from '../packages/controller/src/sync/resync-result.ts';
import { runResync } from '../packages/controller/src/sync/resync.ts';
import type { SyncEnv } from '../packages/controller/src/sync/sync-env.ts';
import { FakeNeutron } from '../packages/controller/src/sync/testing/fake-neutron.ts';
import { machineInfo } from './_machine.ts';
import { scaleShape } from './_neutron-scale.ts';

const SIZES = (process.env.SIZES ?? '100,1000,3000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 3);
const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};
const PHASES = ['subnets', 'policy', 'endpoints'] as const;

/** One result row, flattened the way networking-calico's scale test reports it. */
function row(n: number, phase: 'cold' | 'steady', r: ResyncResult): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = { scale_ports: n, phase, ok: r.ok, total_ms: r.total_ms };
  for (const p of PHASES) {
    const s = r.phases[p]!;
    for (const [k, v] of Object.entries(s)) out[`${p}_${k}`] = v;
  }
  out.felix_config_total_ms = r.phases.felix_config?.total_ms ?? 0;
  return out;
}

const median = <T>(runs: T[], key: (t: T) => number): T => [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)]!;

const dataRoot = await mkdtemp(join(process.env.BENCH_TMP ?? (await mkdir('/dev/shm', { recursive: true }).then(() => '/dev/shm').catch(() => tmpdir())), 'percale-resync-'));
const etcd = await startLocalEtcd({ dataDir: join(dataRoot, 'etcd') });
const store = new EtcdStore({ endpoints: [etcd.endpoint] });
const rows: Array<Record<string, number | string | boolean>> = [];
try {
  for (const n of SIZES) {
    const shape = scaleShape(n);
    const neutron = new FakeNeutron();
    neutron.shareObjects = true;
    for (const p of shape.ports) neutron.ports.set(p.id, p);
    for (const x of shape.networks) neutron.networks.set(x.id, x);
    for (const x of shape.subnets) neutron.subnets.set(x.id, x);
    for (const x of shape.securityGroups) neutron.securityGroups.set(x.id, x);
    const cold: ResyncResult[] = [];
    const steady: ResyncResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Each run in its own region: an empty namespace, as in a cold start.
      const region = `bench-${n}-${run}`;
      const env: SyncEnv = { store, kv: store.keyValues(), neutron, namespace: `openstack-region-${region}`, regionString: `region-${region}`, qos: QOS, log: SILENT_LOGGER };
      const c = await runResync(env, fullScope());
      if (!c.ok || c.phases.endpoints!.created !== n) throw new Error(`cold resync at ${n} ports failed: ${c.error ?? JSON.stringify(c.phases.endpoints)}`);
      cold.push(c);
      const s = await runResync(env, fullScope());
      if (!s.ok || s.phases.endpoints!.correct !== n || s.phases.endpoints!.updated !== 0) throw new Error(`steady resync at ${n} ports was not steady: ${JSON.stringify(s.phases.endpoints)}`);
      steady.push(s);
    }
    rows.push(row(n, 'cold', median(cold, (r) => r.total_ms)));
    rows.push(row(n, 'steady', median(steady, (r) => r.total_ms)));
  }
} finally {
  await store.close();
  await etcd.stop();
  await rm(dataRoot, { recursive: true, force: true });
}

const cols = ['scale_ports', 'phase', 'total_ms', 'subnets_total_ms', 'policy_total_ms', 'endpoints_total_ms', 'endpoints_etcd_read_ms', 'endpoints_neutron_read_ms', 'endpoints_compare_ms', 'endpoints_create_ms', 'felix_config_total_ms'];
console.log(cols.join('\t'));
for (const r of rows) console.log(cols.map((c) => String(r[c])).join('\t'));
const target = (p: string) => rows.find((r) => r.scale_ports === 3000 && r.phase === p)?.total_ms;
console.log(`3,000 ports: cold ${target('cold') ?? '-'} ms (target ≤ 1000), steady ${target('steady') ?? '-'} ms (target ≤ 500); median of ${RUNS} runs each`);
await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
await writeFile(
  join(import.meta.dirname, 'results', 'controller-resync.json'),
  `${JSON.stringify({ machine: machineInfo(), runs: RUNS, neutron: 'in-memory NeutronReader (fetch excluded)', etcd: 'local etcd, data on tmpfs', results: rows }, null, 2)}\n`,
);
