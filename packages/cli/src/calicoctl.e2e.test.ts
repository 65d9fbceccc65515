/**
 * End to end: the real `calicoctl` executable against a real etcd (on tmpfs),
 * driven the way operators drive it — the seed documents' commands verbatim, every
 * output format, round trips, bad input and an unreachable datastore.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freePort, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import { SEED_GNP, SEED_NP } from './testing/seed-documents.ts';

const CALICOCTL = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'calicoctl');

let etcd: LocalEtcd;
let workDir: string;

before(async () => {
  etcd = await startLocalEtcd({ dataDir: `/dev/shm/percale-test-${randomUUID()}`, removeDataOnStop: true });
  workDir = mkdtempSync(join(tmpdir(), 'percale-calicoctl-e2e-'));
});

after(async () => {
  await etcd?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the calicoctl executable as a user would, optionally feeding stdin (a heredoc). */
function calicoctl(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(CALICOCTL, args, {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', HOME: workDir, ETCD_ENDPOINTS: etcd.endpoint, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    child.stdin.end(options.stdin ?? '');
  });
}

const file = (name: string, text: string) => {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
};

const ok = (r: Result, stdout: string) => assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout, stderr: '' });

// Seed 003: the best-practices article's resources (indentation restored).
const SEED_POLICIES = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: web-db-policy
  namespace: production
spec:
  selector: app == 'database'
  ingress:
  - action: Allow
    source:
      selector: app == 'web'
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: deny-all-default
  namespace: staging
spec:
  selector: all()
  ingress:
  - action: Deny
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: default-deny-all
spec:
  selector: all()
  ingress:
  - action: Deny
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: frontend-allow-http
  namespace: frontend
spec:
  selector: app == 'frontend'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports:
      - 80
`;

const SEED_IPPOOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-pool
spec:
  cidr: 10.10.0.0/16
  ipipMode: Always
  natOutgoing: true
`;

const SEED_IPIP_POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-pool
spec:
  cidr: 172.16.0.0/16
  ipipMode: Always # or CrossSubnet
  natOutgoing: true
`;

const SEED_BGPPEER = `apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: bgp-peer-1
spec:
  peerIP: 192.168.10.254
  asNumber: 64512
`;

test('calicoctl apply -f - applies the seed GlobalNetworkPolicy heredoc and gets it back in every format', async () => {
  ok(await calicoctl(['apply', '-f', '-'], { stdin: SEED_GNP }), "Successfully applied 1 'GlobalNetworkPolicy' resource(s)\n");
  ok(await calicoctl(['get', 'globalnetworkpolicy', 'allow-tcp-80']), 'NAME           TIER      \nallow-tcp-80   default   \n\n');
  const wide = await calicoctl(['get', 'gnp', 'allow-tcp-80', '-o', 'wide']);
  assert.match(wide.stdout, /^NAME {11}TIER {6}ORDER {3}SELECTOR {67}\nallow-tcp-80 {3}default {3}<nil> {3}has\(sg\.projectcalico\.org\/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a\) {3}\n\n$/);
  const yaml = await calicoctl(['get', 'gnp', 'allow-tcp-80', '-o', 'yaml']);
  assert.match(yaml.stdout, /^apiVersion: projectcalico.org\/v3\nkind: GlobalNetworkPolicy\nmetadata:\n {2}creationTimestamp: "[^"]+"\n/);
  assert.match(yaml.stdout, /\n {4}destination:\n {6}ports:\n {6}- 80\n/);
  const json = await calicoctl(['get', 'gnp', 'allow-tcp-80', '-o', 'json']);
  const parsed = JSON.parse(json.stdout) as { spec: { ingress: { destination: { ports: number[] } }[] } };
  assert.deepEqual(parsed.spec.ingress[0]!.destination.ports, [80]);
  // What get -o yaml printed applies again unchanged.
  ok(await calicoctl(['apply', '-f', '-'], { stdin: yaml.stdout }), "Successfully applied 1 'GlobalNetworkPolicy' resource(s)\n");
});

test('calicoctl applies the seeds\' regional NetworkPolicy and policy set, and lists them across namespaces', async () => {
  ok(await calicoctl(['apply', '-f', '-'], { stdin: SEED_NP }), "Successfully applied 1 'NetworkPolicy' resource(s)\n");
  ok(await calicoctl(['apply', '-f', file('policies.yaml', SEED_POLICIES)]), 'Successfully applied 4 resource(s)\n');
  const all = await calicoctl(['get', 'networkpolicies', '--all-namespaces']);
  assert.equal(all.code, 0);
  assert.equal(
    all.stdout,
    'NAMESPACE                    NAME                  TIER      \n' +
      'frontend                     frontend-allow-http   default   \n' +
      'openstack-region-RegionOne   allow-tcp-80          default   \n' +
      'production                   web-db-policy         default   \n' +
      'staging                      deny-all-default      default   \n\n',
  );
  ok(await calicoctl(['get', 'np', '-n', 'production', '-o', 'custom-columns=NAME,SELECTOR']), "NAME            SELECTOR            \nweb-db-policy   app == 'database'   \n\n");
  ok(await calicoctl(['get', 'networkpolicy']), 'NAME   TIER   \n\n');
});

test('calicoctl apply -f ippool.yaml and the seed BGPPeer', async () => {
  ok(await calicoctl(['apply', '-f', file('ippool.yaml', SEED_IPPOOL)]), "Successfully applied 1 'IPPool' resource(s)\n");
  ok(await calicoctl(['apply', '-f', file('calico.yaml', SEED_IPIP_POOL)]), "Successfully applied 1 'IPPool' resource(s)\n");
  ok(await calicoctl(['create', '-f', file('bgppeer.yaml', SEED_BGPPEER)]), "Successfully created 1 'BGPPeer' resource(s)\n");
  ok(
    await calicoctl(['get', 'ippools', '-o', 'wide']),
    'NAME                CIDR            NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   ASSIGNMENTMODE   \n' +
      'default-ipv4-pool   10.10.0.0/16    true   Always     Never       false      false              all()      Automatic        \n' +
      'default-pool        172.16.0.0/16   true   Always     Never       false      false              all()      Automatic        \n\n',
  );
  ok(await calicoctl(['get', 'ippool', 'default-pool']), 'NAME           CIDR            SELECTOR   \ndefault-pool   172.16.0.0/16   all()      \n\n');
  ok(await calicoctl(['get', 'bgppeers']), 'NAME         PEERIP           NODE       ASN     \nbgp-peer-1   192.168.10.254   (global)   64512   \n\n');
  ok(await calicoctl(['get', 'nodes']), 'NAME   \n\n');
});

test('calicoctl replace, patch, label and delete round trips', async () => {
  const policy = SEED_GNP.replaceAll('allow-tcp-80', 'round-trip');
  ok(await calicoctl(['create', '-f', '-'], { stdin: policy }), "Successfully created 1 'GlobalNetworkPolicy' resource(s)\n");
  ok(await calicoctl(['replace', '-f', '-'], { stdin: policy.replace('      - 80', '      - 443') }), "Successfully replaced 1 'GlobalNetworkPolicy' resource(s)\n");
  ok(await calicoctl(['patch', 'gnp', 'round-trip', '-p', '{"spec":{"order":10}}']), "Successfully patched 1 'GlobalNetworkPolicy' resource\n");
  ok(await calicoctl(['label', 'globalnetworkpolicies', 'round-trip', 'env=prod']), 'Successfully set label env on globalnetworkpolicies round-trip\n');
  const got = JSON.parse((await calicoctl(['get', 'gnp', 'round-trip', '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> }; spec: { order: number; ingress: { destination: { ports: number[] } }[] } };
  assert.equal(got.spec.order, 10);
  assert.deepEqual(got.spec.ingress[0]!.destination.ports, [443]);
  assert.equal(got.metadata.labels.env, 'prod');
  ok(await calicoctl(['delete', 'gnp', 'round-trip']), "Successfully deleted 1 'GlobalNetworkPolicy' resource(s)\n");
  const gone = await calicoctl(['get', 'gnp', 'round-trip']);
  assert.deepEqual([gone.code, gone.stdout, gone.stderr], [1, '', 'resource does not exist: GlobalNetworkPolicy(round-trip) with error: <nil>\n']);
  const again = await calicoctl(['delete', 'gnp', 'round-trip']);
  assert.deepEqual([again.code, again.stderr], [1, "Failed to delete 'GlobalNetworkPolicy' resource: resource does not exist: GlobalNetworkPolicy(round-trip) with error: <nil>\n\n"]);
});

const bad: [string, string, RegExp][] = [
  ['malformed YAML', 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: [broken\n', /^failed to execute command: multi\.yaml document 2: error converting YAML to JSON: yaml: line \d+: /],
  ['an unknown kind', SEED_GNP.replace('kind: GlobalNetworkPolicy', 'kind: GlobalNetworkPolicie').replaceAll('allow-tcp-80', 'x'), /^failed to execute command: multi\.yaml document 2: unknown resource type \(GlobalNetworkPolicie\) and\/or version \(projectcalico\.org\/v3\)\n$/],
  ['an unknown field', SEED_GNP.replace('    protocol: TCP', '    protocol: TCP\n    port: 80').replaceAll('allow-tcp-80', 'x'), /^failed to execute command: multi\.yaml document 2, GlobalNetworkPolicy\(x\): field in document is not recognized or is in the wrong location: spec\.ingress\[0\]\.port\n$/],
  ['an invalid field value', SEED_GNP.replace('protocol: TCP', 'protocol: TCPX').replaceAll('allow-tcp-80', 'x'), /^failed to apply any 'GlobalNetworkPolicy' resources: \[multi\.yaml document 2, GlobalNetworkPolicy\(x\): error with the following fields:\n- {2}spec\.ingress\[0\]\.protocol = 'TCPX' \(/],
  ['an invalid selector', SEED_GNP.replace('selector: "has(sg.projectcalico.org/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a)"', 'selector: "has(broken"').replaceAll('allow-tcp-80', 'x'), /^failed to apply any 'GlobalNetworkPolicy' resources: \[multi\.yaml document 2, GlobalNetworkPolicy\(x\): error with field spec\.selector = 'has\(broken'/],
];

for (const [name, second, message] of bad) {
  test(`calicoctl apply of a file whose second document has ${name} fails and writes nothing`, async () => {
    const first = SEED_GNP.replaceAll('allow-tcp-80', `first-of-${name.replace(/\W+/g, '-')}`);
    file('multi.yaml', `${first}---\n${second}`);
    const r = await calicoctl(['apply', '-f', 'multi.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    const firstName = first.match(/name: (\S+)/)![1]!;
    const get = await calicoctl(['get', 'gnp', firstName]);
    assert.equal(get.code, 1, `${firstName} must not have been written`);
  });
}

test('calicoctl reads its connection from a config file, and locks and unlocks the datastore', async () => {
  const cfg = file('calicoctl.cfg', `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: "etcdv3"\n  etcdEndpoints: "${etcd.endpoint}"\n`);
  ok(await calicoctl(['datastore', 'migrate', 'lock', '-c', cfg], { env: { ETCD_ENDPOINTS: 'http://127.0.0.1:1' } }), 'Datastore locked.\n');
  const info = await calicoctl(['get', 'clusterinformation', 'default', '-o', 'custom-columns=NAME,DATASTOREREADY']);
  ok(info, 'NAME      DATASTOREREADY   \ndefault   false            \n\n');
  ok(await calicoctl(['datastore', 'migrate', 'unlock', '--config', cfg]), 'Datastore unlocked.\n');
  const version = await calicoctl(['version']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^Client Version: {4}v3\.32\.0-percale\.\S+\nGit commit: {8}\S+\nCluster Version: {3}\S+\nCluster Type: {6}\S+\n$/);
});

test('calicoctl fails quickly, naming the endpoint, when etcd is unreachable', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const r = await calicoctl(['get', 'gnp'], { env: { ETCD_ENDPOINTS: endpoint } });
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
  assert.ok(r.stdout.startsWith('Failed to create Calico API client: ') && r.stdout.includes(endpoint), r.stdout);
  assert.ok(r.ms < 8000, `took ${r.ms} ms`);
});

test('calicoctl writes its whole output to a pipe, however large', async () => {
  // Enough endpoints that `-o yaml` is several times a pipe's 64 KiB buffer.
  const docs = Array.from({ length: 400 }, (_, i) => `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  namespace: openstack-region-pipe
  labels:
    sg.projectcalico.org/openstack-5f2a6c1e-3b4d-4e8f-9a0b-1c2d3e4f5a6b: web
spec:
  orchestrator: openstack
  node: compute-pipe
  workload: vm-${i}
  endpoint: port-${i}
  interfaceName: tappipe${String(i).padStart(7, '0')}
  ipNetworks: [10.67.${i >> 8}.${i & 255}/32]
`).join('---\n');
  const applied = await calicoctl(['apply', '-f', file('pipe-weps.yaml', docs)]);
  assert.equal(applied.code, 0, applied.stderr);
  for (const format of ['yaml', 'json']) {
    const r = await calicoctl(['get', 'workloadendpoints', '-n', 'openstack-region-pipe', '-o', format]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 3 * 65536, `expected well over 192 KiB of ${format}, got ${r.stdout.length} bytes`);
    const items = format === 'json' ? (JSON.parse(r.stdout) as { items: unknown[] }).items : r.stdout.match(/^- apiVersion: /gm) ?? [];
    assert.equal(items.length, 400, `every endpoint is in the ${format} output`);
  }
});
