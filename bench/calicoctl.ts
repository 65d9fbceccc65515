/**
 * calicoctl against a local etcd on tmpfs, side by side with the raw etcd cost of the
 * same work: (a) `calicoctl apply -f` of one file of 1,000 security-group-shaped
 * policies vs putting the same 1,000 keys and bytes with the etcd3 client (sequential
 * puts, and 128-op transactions); (b) `calicoctl get workloadendpoints -A -o yaml|json|ps`
 * over 10,000 WorkloadEndpoints vs a range read plus JSON.parse of the same keys.
 * calicoctl is timed as users run it (a fresh process); the raw baselines are timed both
 * in this process and in a fresh Node process that loads the etcd client.
 * Run: `node bench/calicoctl.ts [--reps N] [--profile]`; writes bench/results/calicoctl.json.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Etcd3 } from 'etcd3';

import { encodeResource, type Resource } from '@percale/api';
import { RESOURCE_PREFIX, keyFor, startLocalEtcd } from '@percale/datastore';
import { prng, prngUuid } from './_prng.ts';

const args = process.argv.slice(2);
const REPS = Number(args[args.indexOf('--reps') + 1]) || 5;
const PROFILE = args.includes('--profile');
const POLICIES = 1000;
const ENDPOINTS = 10_000;
const TXN_OPS = 128; // etcd's default --max-txn-ops

const root = path.join(import.meta.dirname, '..');
const node = process.execPath;
const calicoctlSrc = path.join(root, 'packages/cli/src/calicoctl.ts');
const work = mkdtempSync(path.join(os.tmpdir(), 'percale-bench-calicoctl-'));

const random = prng(20261121);
const uuid = () => prngUuid(random);

// ---- populations -------------------------------------------------------------------

/** One security group as networking-calico renders it, half namespaced, half global. */
function policyYaml(i: number): string {
  const sg = uuid();
  const remote = uuid();
  const global = i % 2 === 1;
  return `apiVersion: projectcalico.org/v3
kind: ${global ? 'GlobalNetworkPolicy' : 'NetworkPolicy'}
metadata:
  name: ${global ? `sg-${sg}` : `ossg.default.${sg}\n  namespace: openstack-region-r1`}
  annotations:
    openstack.projectcalico.org/security-group-name: web-${i}
spec:
  order: 1000
  selector: "has(sg.projectcalico.org/openstack-${sg})"
  types:
  - Ingress
  - Egress
  ingress:
  - action: Allow
    ipVersion: 4
    source:
      selector: "has(sg.projectcalico.org/openstack-${sg})"
  - action: Allow
    ipVersion: 4
    protocol: TCP
    destination:
      ports:
      - 22
  - action: Allow
    ipVersion: 4
    protocol: TCP
    source:
      nets:
      - 10.${i % 250}.0.0/16
    destination:
      ports:
      - 80
      - 443
  - action: Allow
    ipVersion: 4
    protocol: UDP
    destination:
      ports:
      - 53
  - action: Allow
    ipVersion: 4
    protocol: TCP
    source:
      selector: "has(sg.projectcalico.org/openstack-${remote})"
    destination:
      ports:
      - 8000:8080
  egress:
  - action: Allow
    ipVersion: 4
  - action: Allow
    ipVersion: 6
`;
}

/** A WorkloadEndpoint as networking-calico writes it for a VM port. */
function workloadEndpoint(i: number): Resource {
  const region = `openstack-region-r${(i % 3) + 1}`;
  const host = `compute-${String(i % 100).padStart(3, '0')}`;
  const vm = uuid();
  const port = uuid();
  const esc = (s: string) => s.replaceAll('-', '--');
  const sgs = [uuid(), uuid()];
  const labels: Record<string, string> = {
    'projectcalico.org/namespace': region,
    'projectcalico.org/orchestrator': 'openstack',
    'projectcalico.org/openstack-project-id': uuid().replaceAll('-', ''),
    'projectcalico.org/openstack-project-name': `project-${i % 40}`,
    'projectcalico.org/openstack-network-name': 'calico',
  };
  for (const sg of sgs) labels[`sg.projectcalico.org/openstack-${sg}`] = `sg-${sg.slice(0, 4)}`;
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'WorkloadEndpoint',
    metadata: {
      name: `${esc(host)}-openstack-${esc(vm)}-${esc(port)}`,
      namespace: region,
      uid: randomUUID(),
      creationTimestamp: '2026-11-01T10:00:00Z',
      labels,
      annotations: { 'openstack.projectcalico.org/network-id': uuid() },
    },
    spec: {
      orchestrator: 'openstack',
      workload: vm,
      node: host,
      endpoint: port,
      ipNetworks: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`],
      profiles: [],
      interfaceName: `tap${port.slice(0, 11)}`,
      mac: `fa:16:3e:${[1, 2, 3].map(() => Math.floor(random() * 256).toString(16).padStart(2, '0')).join(':')}`,
    },
  };
}

// ---- measurement helpers -------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface ProcessRun {
  ms: number;
  code: number | null;
  stdoutBytes: number;
  stderr: string;
}

/** Runs a fresh Node process to completion, draining stdout as a pipe reader would. */
function runProcess(argv: string[], env: Record<string, string>): Promise<ProcessRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(node, argv, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stdoutBytes: bytes, stderr }));
  });
}

let profileCount = 0;
const profileDir = path.join(os.tmpdir(), `percale-calicoctl-profiles-${process.pid}`);
async function calicoctl(cmd: string[], env: Record<string, string>): Promise<ProcessRun> {
  const flags = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=calicoctl-${++profileCount}-${cmd.slice(0, 2).join('-')}.cpuprofile`] : [];
  const r = await runProcess([...flags, calicoctlSrc, ...cmd], env);
  if (r.code !== 0) throw new Error(`calicoctl ${cmd.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

// A fresh process that does only the raw etcd work: the floor for any Node.js CLI.
const RAW_SCRIPT = `
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
const [mode, endpoint, file] = process.argv.slice(2);
const client = new Etcd3({ hosts: endpoint, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
if (mode === 'put') {
  for (const [k, v] of JSON.parse(readFileSync(file, 'utf8'))) await client.put(k).value(v);
} else {
  const kvs = await client.getAll().prefix(file).strings();
  let n = 0;
  for (const v of Object.values(kvs)) n += JSON.parse(v) ? 1 : 0;
  process.stdout.write(String(n));
}
client.close();
`;

// ---- main ------------------------------------------------------------------------------

const loadAtStart = os.loadavg()[0] ?? 0;
const etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-bench-${randomUUID()}`, removeDataOnStop: true });
const env = { ETCD_ENDPOINTS: etcd.endpoint };
// Like EtcdStore, accept replies above gRPC's default 4 MiB (10,000 endpoints are ~13 MB).
const raw = new Etcd3({ hosts: etcd.endpoint, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
const rawScript = path.join(root, 'bench', `_raw-etcd-${process.pid}.mjs`);
writeFileSync(rawScript, RAW_SCRIPT);
const POLICY_PREFIXES = [`${RESOURCE_PREFIX}networkpolicies/`, `${RESOURCE_PREFIX}globalnetworkpolicies/`];

async function wipePolicies(): Promise<void> {
  for (const p of POLICY_PREFIXES) await raw.delete().prefix(p);
}

/** One etcd transaction putting every pair (its compare, mod revision > -1, always holds). */
async function putBatch(pairs: [string, string][]): Promise<void> {
  await raw.if(pairs[0]![0], 'Mod', '>', -1).then(...pairs.map(([k, v]) => raw.put(k).value(v))).commit();
}

async function readPolicies(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const p of POLICY_PREFIXES) out.push(...Object.entries(await raw.getAll().prefix(p).strings()));
  return out;
}

type Row = { case: string; median_ms: number; runs_ms: number[]; ratio?: Record<string, number>; bytes?: number };
const rows: Row[] = [];
const record = (name: string, runs: number[], extra: Partial<Row> = {}) => {
  const row: Row = { case: name, median_ms: Math.round(median(runs) * 10) / 10, runs_ms: runs.map((r) => Math.round(r * 10) / 10), ...extra };
  rows.push(row);
  return row;
};

try {
  // ---- (a) apply of 1,000 policies --------------------------------------------------------
  const policyFile = path.join(work, 'policies.yaml');
  writeFileSync(policyFile, Array.from({ length: POLICIES }, (_, i) => policyYaml(i)).join('---\n'));
  // Tiers and ClusterInformation exist before timing, as in any real cluster.
  const warmup = path.join(work, 'warmup.yaml');
  writeFileSync(warmup, policyYaml(1));
  await calicoctl(['apply', '-f', warmup], env);

  const applyCreate: number[] = [];
  const applyUpdate: number[] = [];
  const rawSeq: number[] = [];
  const rawTxn: number[] = [];
  const rawProc: number[] = [];
  let stored: [string, string][] = [];
  for (let rep = 0; rep < REPS; rep++) {
    await wipePolicies();
    applyCreate.push((await calicoctl(['apply', '-f', policyFile], env)).ms);
    applyUpdate.push((await calicoctl(['apply', '-f', policyFile], env)).ms);
    stored = await readPolicies();
    if (stored.length !== POLICIES) throw new Error(`expected ${POLICIES} stored policies, found ${stored.length}`);

    await wipePolicies();
    let t = performance.now();
    for (const [k, v] of stored) await raw.put(k).value(v);
    rawSeq.push(performance.now() - t);

    await wipePolicies();
    t = performance.now();
    for (let i = 0; i < stored.length; i += TXN_OPS) await putBatch(stored.slice(i, i + TXN_OPS));
    rawTxn.push(performance.now() - t);

    await wipePolicies();
    const storedFile = path.join(work, 'stored.json');
    writeFileSync(storedFile, JSON.stringify(stored));
    const p = await runProcess([rawScript, 'put', etcd.endpoint, storedFile], {});
    if (p.code !== 0) throw new Error(`raw put process failed: ${p.stderr}`);
    rawProc.push(p.ms);
  }
  const seqRow = record('raw etcd: 1,000 sequential puts (in process)', rawSeq);
  const txnRow = record('raw etcd: 1,000 puts in 128-op txns (in process)', rawTxn);
  const procRow = record('raw etcd: 1,000 sequential puts (fresh node process)', rawProc);
  const ratios = (runs: number[]) => ({
    vs_sequential: Math.round((median(runs) / seqRow.median_ms) * 100) / 100,
    vs_txn: Math.round((median(runs) / txnRow.median_ms) * 100) / 100,
    vs_process: Math.round((median(runs) / procRow.median_ms) * 100) / 100,
  });
  record('calicoctl apply -f (1,000 policies, all new)', applyCreate, { ratio: ratios(applyCreate) });
  record('calicoctl apply -f (1,000 policies, all existing)', applyUpdate, { ratio: ratios(applyUpdate) });

  // ---- (b) get of 10,000 WorkloadEndpoints ---------------------------------------------------
  await raw.delete().prefix(`${RESOURCE_PREFIX}workloadendpoints/`);
  const weps = Array.from({ length: ENDPOINTS }, (_, i) => workloadEndpoint(i));
  const wepKV = weps.map((w): [string, string] => [keyFor({ kind: 'WorkloadEndpoint', namespace: w.metadata.namespace!, name: w.metadata.name! }), encodeResource(w)]);
  for (let i = 0; i < wepKV.length; i += TXN_OPS) await putBatch(wepKV.slice(i, i + TXN_OPS));
  const wepPrefix = `${RESOURCE_PREFIX}workloadendpoints/`;
  const rawRead: number[] = [];
  const rawReadProc: number[] = [];
  const gets: Record<string, { runs: number[]; bytes: number }> = { yaml: { runs: [], bytes: 0 }, json: { runs: [], bytes: 0 }, ps: { runs: [], bytes: 0 } };
  for (let rep = 0; rep < REPS; rep++) {
    const t = performance.now();
    const kvs = await raw.getAll().prefix(wepPrefix).strings();
    let n = 0;
    for (const v of Object.values(kvs)) n += JSON.parse(v) ? 1 : 0;
    rawRead.push(performance.now() - t);
    if (n !== ENDPOINTS) throw new Error(`expected ${ENDPOINTS} endpoints, read ${n}`);
    const p = await runProcess([rawScript, 'get', etcd.endpoint, wepPrefix], {});
    if (p.code !== 0) throw new Error(`raw get process failed: ${p.stderr}`);
    rawReadProc.push(p.ms);
    for (const format of ['yaml', 'json', 'ps'] as const) {
      const r = await calicoctl(['get', 'workloadendpoints', '-A', '-o', format], env);
      gets[format]!.runs.push(r.ms);
      gets[format]!.bytes = r.stdoutBytes;
    }
  }
  const readRow = record('raw etcd: range read + JSON.parse of 10,000 WEPs (in process)', rawRead);
  const readProcRow = record('raw etcd: range read + JSON.parse of 10,000 WEPs (fresh node process)', rawReadProc);
  for (const [format, g] of Object.entries(gets)) {
    record(`calicoctl get workloadendpoints -A -o ${format} (10,000)`, g.runs, {
      bytes: g.bytes,
      ratio: {
        vs_in_process: Math.round((median(g.runs) / readRow.median_ms) * 100) / 100,
        vs_process: Math.round((median(g.runs) / readProcRow.median_ms) * 100) / 100,
      },
    });
  }
} finally {
  raw.close();
  await etcd.stop();
  rmSync(rawScript, { force: true });
  rmSync(work, { recursive: true, force: true });
}

// ---- report --------------------------------------------------------------------------------

const width = Math.max(...rows.map((r) => r.case.length));
process.stdout.write(`\n${'case'.padEnd(width)}  median ms   ratio\n`);
for (const r of rows) {
  const ratio = r.ratio ? Object.entries(r.ratio).map(([k, v]) => `${v}× ${k.replace(/_/g, ' ')}`).join(', ') : '';
  process.stdout.write(`${r.case.padEnd(width)}  ${r.median_ms.toFixed(1).padStart(9)}   ${ratio}\n`);
}

const results = {
  benchmark: 'calicoctl',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, etcd: 'local single member on /dev/shm' },
  // The 2-core machine is shared: a high load average means noisier, slower CPU-bound runs.
  load_average_1m: { start: Math.round(loadAtStart * 100) / 100, end: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 },
  repetitions: REPS,
  scale: { policies: POLICIES, workload_endpoints: ENDPOINTS },
  rows,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/calicoctl.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('\nsaved bench/results/calicoctl.json\n');
if (PROFILE) process.stdout.write(`CPU profiles of the calicoctl runs: ${profileDir}\n`);
