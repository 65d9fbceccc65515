import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Resource } from '@percale/api';
import { Client, MemoryStore, type ResourceClient } from '@percale/datastore';
import { main, type CliIO } from './calicoctl.ts';
import { seedGlobalNetworkPolicy } from './testing/seed-documents.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

/** An in-memory datastore shared by the runs of one test, and a way to run calicoctl against it. */
function datastore(options: Partial<CliIO> = {}) {
  const client = new Client(new MemoryStore());
  // calicoctl closes its client at the end of every run; the store must outlive them.
  const shared: ResourceClient = new Proxy(client, {
    get: (target, prop) => (prop === 'close' ? async () => {} : Reflect.get(target, prop, target)),
  });
  let connects = 0;
  const run = async (args: string[], stdin = ''): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await main(args, {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
      readStdin: async () => stdin,
      env: { ETCD_ENDPOINTS: 'http://127.0.0.1:2379' },
      connect: async () => {
        connects++;
        return shared;
      },
      sleep: async () => {},
      ...options,
    });
    return { code, out, err };
  };
  return { client, run, connects: () => connects };
}

const gnp = seedGlobalNetworkPolicy;

const np = (name: string, namespace?: string) => `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: ${name}${namespace ? `\n  namespace: ${namespace}` : ''}
spec:
  selector: app == 'database'
  ingress:
  - action: Allow
    source:
      selector: app == 'web'
  egress:
  - action: Allow
`;

const dir = mkdtempSync(join(tmpdir(), 'percale-calicoctl-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('create, apply, replace', () => {
  test('main() applies the seed GlobalNetworkPolicy from stdin and reads it back', async () => {
    const { run } = datastore();
    assert.deepEqual(await run(['apply', '-f', '-'], gnp('allow-tcp-80')), { code: 0, out: "Successfully applied 1 'GlobalNetworkPolicy' resource(s)\n", err: '' });
    const got = await run(['get', 'gnp']);
    assert.equal(got.out, 'NAME           TIER      \nallow-tcp-80   default   \n\n');
  });

  test('main() apply updates an existing resource and takes labels from the input', async () => {
    const { run, client } = datastore();
    await run(['apply', '-f', '-'], gnp('p', '').replace('  name: p', '  name: p\n  labels:\n    team: a'));
    const first = await client.get({ kind: 'GlobalNetworkPolicy', name: 'p' });
    assert.equal((await run(['apply', '-f', '-'], gnp('p'))).code, 0);
    const second = await client.get({ kind: 'GlobalNetworkPolicy', name: 'p' });
    assert.equal(second.metadata.uid, first.metadata.uid);
    assert.equal(second.metadata.labels?.team, undefined);
    assert.notEqual(second.metadata.resourceVersion, first.metadata.resourceVersion);
  });

  test('main() apply and replace of a large batch update what exists and create the rest', async () => {
    const { run, client } = datastore();
    const batch = (names: string[], order: number) => names.map((n) => gnp(n).replace('  selector: "has', `  order: ${order}\n  selector: "has`)).join('---\n');
    const names = Array.from({ length: 40 }, (_, i) => `p${i}`);
    assert.equal((await run(['apply', '-f', '-'], batch(names.slice(0, 25), 1))).out, "Successfully applied 25 'GlobalNetworkPolicy' resource(s)\n");
    const before = await client.get({ kind: 'GlobalNetworkPolicy', name: 'p3' });
    assert.equal((await run(['apply', '-f', '-'], batch(names, 2))).out, "Successfully applied 40 'GlobalNetworkPolicy' resource(s)\n");
    const after = await client.get({ kind: 'GlobalNetworkPolicy', name: 'p3' });
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal((after.spec as { order?: number }).order, 2);
    assert.equal((await client.get({ kind: 'GlobalNetworkPolicy', name: 'p39' })).spec?.order, 2);
    assert.equal((await run(['replace', '-f', '-'], batch(names, 3))).out, "Successfully replaced 40 'GlobalNetworkPolicy' resource(s)\n");
    const missing = await run(['replace', '-f', '-'], batch([...names.slice(0, 20), 'absent'], 4));
    assert.equal(missing.err, 'hit error: stdin document 21: resource does not exist: GlobalNetworkPolicy(absent) with error: <nil>\n');
    assert.equal((await client.list({ kind: 'GlobalNetworkPolicy' })).items.filter((p) => (p.spec as { order?: number }).order === 4).length, 20);
  });

  test('main() create reports an existing resource, and --skip-exists accepts it', async () => {
    const { run } = datastore();
    await run(['create', '-f', '-'], gnp('p'));
    assert.deepEqual(await run(['create', '-f', '-'], gnp('p')), {
      code: 1,
      out: '',
      err: "failed to create 'GlobalNetworkPolicy' resource: [stdin document 1: resource already exists: GlobalNetworkPolicy(p) with error: <nil>]\n",
    });
    assert.deepEqual(await run(['create', '--skip-exists', '-f', '-'], gnp('p')), { code: 0, out: "Successfully created 1 'GlobalNetworkPolicy' resource(s)\n", err: '' });
  });

  test('main() create of two resources, one existing, is a partial success', async () => {
    const { run } = datastore();
    await run(['create', '-f', '-'], gnp('a'));
    const r = await run(['create', '-f', '-'], `${gnp('a')}---\n${gnp('b')}---\n${gnp('c')}`);
    assert.equal(r.code, 1);
    assert.equal(r.out, "Partial success: created the first 2 out of 3 'GlobalNetworkPolicy' resources:\n");
    assert.equal(r.err, 'hit error: [stdin document 1: resource already exists: GlobalNetworkPolicy(a) with error: <nil>]\n');
  });

  test('main() replace of a missing resource reports calicoctl\'s partial success', async () => {
    const { run } = datastore();
    const r = await run(['replace', '-f', '-'], gnp('missing'));
    assert.equal(r.code, 1);
    assert.equal(r.out, "Partial success: replaced the first 1 out of 1 'GlobalNetworkPolicy' resources:\n");
    assert.equal(r.err, 'hit error: stdin document 1: resource does not exist: GlobalNetworkPolicy(missing) with error: <nil>\n');
  });

  test('main() replace with a stale resourceVersion is an update conflict', async () => {
    const { run } = datastore();
    await run(['apply', '-f', '-'], gnp('p'));
    const stale = gnp('p').replace('  name: p', '  name: p\n  resourceVersion: "1"');
    const r = await run(['replace', '-f', '-'], stale);
    assert.equal(r.err, 'hit error: stdin document 1: update conflict: GlobalNetworkPolicy(p)\n');
    assert.equal((await run(['replace', '-f', '-'], gnp('p'))).out, "Successfully replaced 1 'GlobalNetworkPolicy' resource(s)\n");
  });

  test('main() writes nothing when any document of the input is invalid', async () => {
    const { run, client } = datastore();
    const input = `${gnp('good')}---\n${gnp('bad').replace('has(sg.projectcalico.org/openstack-a7734e61', 'has(sg.projectcalico.org/openstack-a7734e61 &&')}`;
    const r = await run(['apply', '-f', '-'], input);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^failed to apply any 'GlobalNetworkPolicy' resources: \[stdin document 2, GlobalNetworkPolicy\(bad\): error with field spec\.selector = '.*' \(/);
    assert.equal((await client.list({ kind: 'GlobalNetworkPolicy' })).items.length, 0);
  });

  test('main() names the document, resource and field of an unknown field, and writes nothing', async () => {
    const { run, client } = datastore();
    const r = await run(['create', '-f', '-'], `${gnp('good')}---\n${gnp('bad', '\n      protocol: TCP')}`);
    assert.deepEqual(r, {
      code: 1,
      out: '',
      err: 'failed to execute command: stdin document 2, GlobalNetworkPolicy(bad): field in document is not recognized or is in the wrong location: spec.ingress[0].destination.protocol\n',
    });
    assert.equal((await client.list({ kind: 'GlobalNetworkPolicy' })).items.length, 0);
  });

  test('main() reports an unknown kind and malformed YAML with their documents', async () => {
    const { run } = datastore();
    const r = await run(['apply', '-f', '-'], `${gnp('a')}---\n${gnp('b').replace('GlobalNetworkPolicy', 'GlobalNetworkPolicyy')}---\nkind: x\n  bad: [\n`);
    assert.equal(r.code, 1);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines[0], 'failed to execute command: stdin document 2: unknown resource type (GlobalNetworkPolicyy) and/or version (projectcalico.org/v3)');
    assert.match(lines[1]!, /^stdin document 3: error converting YAML to JSON: yaml: line \d+: /);
  });

  test('main() reports an empty input, unless --skip-empty', async () => {
    const { run } = datastore();
    assert.deepEqual(await run(['apply', '-f', '-'], '# nothing\n'), { code: 1, out: '', err: 'no resources specified in file -\n' });
    assert.deepEqual(await run(['apply', '--skip-empty', '-f', '-'], '\n'), { code: 0, out: 'No resources specified\n', err: '' });
  });

  test('main() derives and checks WorkloadEndpoint names before writing anything', async () => {
    const { run, client } = datastore();
    const wep = (name: string) => `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:${name ? `\n  name: ${name}` : ''}
  namespace: openstack-region-one
spec:
  orchestrator: openstack
  workload: 0f6d1c9e-1b7a
  node: r1-compute-1
  endpoint: 8e80eb60-cae1
  interfaceName: tap8e80eb60-ca
  ipNetworks:
  - 10.65.0.2/32
`;
    const derived = 'r1--compute--1-openstack-0f6d1c9e--1b7a-8e80eb60--cae1';
    const bad = await run(['apply', '-f', '-'], `${wep('')}---\n${wep('wrong-name')}`);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /stdin document 2, WorkloadEndpoint\(openstack-region-one\/wrong-name\): error with field Metadata\.Name = 'wrong-name' \(the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name r1--compute--1-openstack-0f6d1c9e--1b7a-8e80eb60--cae1\)/);
    assert.equal((await client.list({ kind: 'WorkloadEndpoint' })).items.length, 0);
    assert.equal((await run(['apply', '-f', '-'], wep(''))).code, 0);
    assert.equal((await run(['get', 'wep', '-n', 'openstack-region-one', '-o', 'wide'])).out.split('\n')[1]!.split(/ +/)[1], derived);
  });

  test('main() reads List documents, arrays and JSON', async () => {
    const { run } = datastore();
    const list = `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyList\nitems:\n- metadata:\n    name: l1\n  spec:\n    selector: all()\n- metadata:\n    name: l2\n  spec: {}\n`;
    const json = JSON.stringify([{ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'nets' }, spec: { nets: ['10.0.0.0/8'] } }]);
    const r = await run(['apply', '-f', '-'], `${list}---\n${json}`);
    assert.deepEqual(r, { code: 0, out: 'Successfully applied 3 resource(s)\n', err: '' });
  });

  test('main() reads a directory in name order, sub-directories only with -R', async () => {
    const { run } = datastore();
    const root = join(dir, 'manifests');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'b.yaml'), gnp('from-b'));
    writeFileSync(join(root, 'a.JSON'), JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'from-a' }, spec: {} }));
    writeFileSync(join(root, 'notes.txt'), 'ignored');
    writeFileSync(join(root, 'sub', 'c.yml'), gnp('from-c'));
    assert.equal((await run(['apply', '-f', root])).out, "Successfully applied 2 'GlobalNetworkPolicy' resource(s)\n");
    assert.equal((await run(['apply', '-R', '-f', root])).out, "Successfully applied 3 'GlobalNetworkPolicy' resource(s)\n");
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    assert.equal((await run(['apply', '-f', empty])).err, `no resources specified in directory ${empty}\n`);
  });

  test('main() refuses Kubernetes policy names and ClusterInformation writes', async () => {
    const { run } = datastore();
    assert.equal(
      (await run(['create', '-f', '-'], np('knp.default.x', 'ns1'))).err,
      "failed to create 'NetworkPolicy' resource: [stdin document 1, NetworkPolicy(ns1/knp.default.x): operation create or apply is not supported on NetworkPolicy(ns1/knp.default.x): kubernetes network policies must be managed through the kubernetes API]\n",
    );
    assert.match((await run(['delete', 'networkpolicy', 'knp.default.x', '-n', 'ns1'])).err, /^Failed to delete 'NetworkPolicy' resource: operation delete is not supported on NetworkPolicy\(ns1\/knp\.default\.x\)/);
    assert.equal((await run(['delete', 'clusterinfo', 'default'])).err, "Failed to delete 'ClusterInformation' resource: operation delete is not supported on ClusterInformation\n\n");
  });
});

describe('namespaces', () => {
  test('main() puts a NetworkPolicy without namespace in "default", or in -n', async () => {
    const { run, client } = datastore();
    await run(['apply', '-f', '-'], np('p1'));
    await run(['apply', '-n', 'production', '-f', '-'], np('p2'));
    assert.equal((await client.get({ kind: 'NetworkPolicy', namespace: 'default', name: 'p1' })).metadata.name, 'p1');
    assert.equal((await client.get({ kind: 'NetworkPolicy', namespace: 'production', name: 'p2' })).metadata.name, 'p2');
    // Without -n/-A only "default" is listed.
    assert.equal((await run(['get', 'networkpolicy'])).out, 'NAME   TIER      \np1     default   \n\n');
    assert.equal((await run(['get', 'np', '-A'])).out, 'NAMESPACE    NAME   TIER      \ndefault      p1     default   \nproduction   p2     default   \n\n');
  });

  const errors: [string, string[], string, string][] = [
    ['namespace mismatch', ['apply', '-n', 'other', '-f', '-'], np('p', 'production'), "failed to apply 'NetworkPolicy' resource: [stdin document 1, NetworkPolicy(production/p): resource namespace does not match client namespace. production != other]\n"],
    ['-n on a cluster kind', ['apply', '-n', 'x', '-f', '-'], gnp('g'), "failed to apply 'GlobalNetworkPolicy' resource: [stdin document 1, GlobalNetworkPolicy(g): GlobalNetworkPolicy is not namespaced]\n"],
    ['namespace in a cluster resource', ['apply', '-f', '-'], gnp('g').replace('  name: g', '  name: g\n  namespace: x'), "failed to apply 'GlobalNetworkPolicy' resource: [stdin document 1, GlobalNetworkPolicy(x/g): namespace should not be specified for a non-namespaced resource. GlobalNetworkPolicy is not a namespaced resource]\n"],
  ];
  for (const [name, args, stdin, err] of errors) {
    test(`main() reports ${name}`, async () => {
      const { run } = datastore();
      assert.deepEqual(await run(args, stdin), { code: 1, out: '', err });
    });
  }

  test('main() get refuses -n with -A, and -A for a single resource', async () => {
    const { run } = datastore();
    assert.deepEqual(await run(['get', 'np', '-A', '-n', 'x']), { code: 1, out: '', err: 'cannot use both --namespace and --all-namespaces flags at the same time\n' });
    assert.deepEqual(await run(['get', 'np', 'p', '-a']), { code: 1, out: '', err: 'cannot use --all-namespace flag for getting a single resource\n' });
  });
});

describe('get', () => {
  async function seeded() {
    const ds = datastore();
    await ds.run(['apply', '-f', '-'], `${gnp('a')}---\n${gnp('b').replace('  selector: "has', '  order: 100\n  selector: "has')}`);
    return ds;
  }

  test('main() prints -o wide with <nil> for an unset order', async () => {
    const { run } = await seeded();
    const r = await run(['get', 'globalnetworkpolicies', '-o', 'wide']);
    const sel = 'has(sg.projectcalico.org/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a)';
    assert.equal(r.out, `NAME   TIER      ORDER   SELECTOR${' '.repeat(sel.length - 8)}   \na      default   <nil>   ${sel}   \nb      default   100     ${sel}   \n\n`);
  });

  test('main() prints custom columns and refuses unknown ones', async () => {
    const { run } = await seeded();
    assert.equal((await run(['get', 'gnp', 'b', '-o', 'custom-columns=NAME,ORDER'])).out, 'NAME   ORDER   \nb      100     \n\n');
    assert.deepEqual(await run(['get', 'gnp', '-o', 'custom-columns=NAME,NOPE']), { code: 1, out: '', err: 'unknown heading NOPE, valid values are: NAME, ORDER, SELECTOR, TIER\n' });
  });

  test('main() prints one object alone and several as a list, in YAML and JSON', async () => {
    const { run } = await seeded();
    const one = await run(['get', 'gnp', 'a', '-o', 'json']);
    assert.equal(JSON.parse(one.out).metadata.name, 'a');
    assert.ok(one.out.startsWith('{\n  "kind": "GlobalNetworkPolicy",\n  "apiVersion": "projectcalico.org/v3",'));
    assert.ok(!one.out.endsWith('\n'));
    assert.ok(one.out.includes('"selector": "has(sg.projectcalico.org/openstack-a7734e61'));
    const two = await run(['get', 'gnp', 'a', 'b', '-o', 'yaml']);
    assert.match(two.out, /^- apiVersion: projectcalico.org\/v3\n  kind: GlobalNetworkPolicy\n/);
    const list = await run(['get', 'gnp', '-o', 'yaml']);
    assert.match(list.out, /^apiVersion: projectcalico.org\/v3\nitems:\n- apiVersion: projectcalico.org\/v3\n/);
    assert.match(list.out, /\nkind: GlobalNetworkPolicyList\nmetadata:\n {2}resourceVersion: "\d+"\n$/);
    assert.equal(JSON.parse((await run(['get', 'gnp', '-o', 'json'])).out).items.length, 2);
  });

  test('main() prints what it found, then each missing resource, and fails', async () => {
    const { run } = await seeded();
    assert.deepEqual(await run(['get', 'gnp', 'nope', 'a', 'gone', '-o', 'custom-columns=NAME']), {
      code: 1,
      out: 'NAME   \na      \n\n',
      err: 'resource does not exist: GlobalNetworkPolicy(nope) with error: <nil>\nresource does not exist: GlobalNetworkPolicy(gone) with error: <nil>\n',
    });
    assert.deepEqual(await run(['get', 'gnp', 'nope', '-o', 'yaml']), { code: 1, out: 'null\n', err: 'resource does not exist: GlobalNetworkPolicy(nope) with error: <nil>\n' });
  });

  test('main() --export strips cluster-specific metadata from named resources', async () => {
    const { run } = await seeded();
    const meta = JSON.parse((await run(['get', 'gnp', 'a', '-o', 'json', '--export'])).out).metadata;
    // Go writes a zero creationTimestamp as null.
    assert.deepEqual(meta, { name: 'a', creationTimestamp: null, labels: { 'projectcalico.org/tier': 'default' } });
  });

  test('main() lists tiers by order and the default-allow profile', async () => {
    const { run } = await seeded();
    assert.equal((await run(['get', 'tier'])).out, 'NAME            ORDER   \nkube-admin      1000    \ndefault         1e+06   \nkube-baseline   1e+07   \n\n');
    assert.match((await run(['get', 'profiles'])).out, /projectcalico-default-allow/);
  });

  test('main() refuses unknown kinds and output formats', async () => {
    const { run } = datastore();
    assert.deepEqual(await run(['get', 'bogus']), { code: 1, out: '', err: "failed to get resources: resource type 'bogus' is not supported\n" });
    assert.deepEqual(await run(['get', 'gnp', '-o', 'xml']), { code: 1, out: '', err: "unrecognized output format 'xml'\n" });
    assert.match((await run(['get', 'gnp', '-o', 'go-template={{.}}'])).err, /^output format 'go-template' is not supported by Percale's calicoctl/);
    assert.equal((await run(['get', 'gnp', '-o', 'go-template='])).err, 'need to specify a template\n');
    assert.equal((await run(['get', 'gnp', '', '-o', 'yaml'])).err, 'failed to get resources: resource name may not be empty\n');
  });
});

describe('delete, patch, label', () => {
  test('main() delete counts successes, then reports each failure; --skip-not-exists accepts missing ones', async () => {
    const { run } = datastore();
    await run(['apply', '-f', '-'], `${gnp('a')}---\n${gnp('b')}`);
    assert.deepEqual(await run(['delete', 'gnp', 'a', 'nope']), {
      code: 1,
      out: "Successfully deleted 1 'GlobalNetworkPolicy' resource(s)\n",
      err: "Failed to delete 'GlobalNetworkPolicy' resource: resource does not exist: GlobalNetworkPolicy(nope) with error: <nil>\n\n",
    });
    assert.deepEqual(await run(['delete', '-s', 'gnp', 'b', 'nope']), { code: 0, out: "Successfully deleted 2 'GlobalNetworkPolicy' resource(s)\n", err: '' });
    assert.deepEqual(await run(['delete', '-f', '-'], gnp('a')), { code: 1, out: '', err: "Failed to delete 'GlobalNetworkPolicy' resource: stdin document 1: resource does not exist: GlobalNetworkPolicy(a) with error: <nil>\n\n" });
  });

  test('main() patch merges objects, replaces lists and removes null members', async () => {
    const { run, client } = datastore();
    await run(['apply', '-f', '-'], gnp('p'));
    const r = await run(['patch', 'gnp', 'p', '-p', '{"spec":{"order":50,"types":["Ingress","Egress"],"egress":[{"action":"Deny"}],"selector":null}}']);
    assert.deepEqual(r, { code: 0, out: "Successfully patched 1 'GlobalNetworkPolicy' resource\n", err: '' });
    const spec = (await client.get({ kind: 'GlobalNetworkPolicy', name: 'p' })).spec as Record<string, unknown>;
    assert.equal(spec.order, 50);
    assert.deepEqual(spec.types, ['Ingress', 'Egress']);
    assert.equal(spec.selector, undefined);
    assert.equal((spec.ingress as unknown[]).length, 1);
  });

  test('main() patch reports bad JSON, unknown fields and missing resources', async () => {
    const { run } = datastore();
    await run(['apply', '-f', '-'], gnp('p'));
    assert.equal((await run(['patch', 'gnp', 'p', '-p', '{bad'])).err, 'hit error: performing strategic merge patch: invalid JSON document\n');
    assert.equal((await run(['patch', 'gnp', 'p', '-p', '{"spec":{"nope":1}}'])).err, 'hit error: creating resource from patched data: field in document is not recognized or is in the wrong location: spec.nope\n');
    assert.equal((await run(['patch', 'gnp', 'q', '-p', '{}'])).err, 'hit error: resource does not exist: GlobalNetworkPolicy(q) with error: <nil>\n');
  });

  test('main() label sets, refuses to overwrite, overwrites and removes', async () => {
    const { run, client } = datastore();
    await run(['apply', '-f', '-'], gnp('p'));
    assert.equal((await run(['label', 'GNP', 'p', 'team=red'])).out, 'Successfully set label team on GNP p\n');
    assert.equal((await run(['label', 'gnp', 'p', 'team=blue'])).err, "failed to update label of gnp p, key team is already present. please use '--overwrite' to set a new value\n");
    assert.equal((await run(['label', 'gnp', 'p', 'team=red'])).out, 'Successfully updated label team on gnp p\n');
    assert.equal((await run(['label', 'gnp', 'p', 'team=blue', '--overwrite'])).out, 'Successfully updated label team on gnp p\n');
    assert.equal((await client.get({ kind: 'GlobalNetworkPolicy', name: 'p' })).metadata.labels?.team, 'blue');
    assert.equal((await run(['label', 'gnp', 'p', 'team', '--remove'])).out, 'Successfully removed label team from gnp p\n');
    assert.equal((await run(['label', 'gnp', 'p', 'team', '--remove'])).err, 'cannot remove label of gnp p, key team does not exist\n');
    assert.equal((await run(['label', 'gnp', 'p', 'novalue'])).err, 'invalid label novalue\n');
    assert.equal((await run(['label', 'gnp', 'q', 'a=b'])).err, 'gnp q not found\n');
    assert.equal((await run(['label', 'gnp', 'p', 'bad key=x'])).err, 'failed to update gnp p, label not changed\n');
  });
});

describe('validate, version, datastore checks', () => {
  test('main() validate works offline', async () => {
    const { run, connects } = datastore();
    assert.deepEqual(await run(['validate', '-f', '-'], `${gnp('a')}---\n${np('b')}`), { code: 0, out: 'Successfully validated 2 resource(s)\n', err: '' });
    const bad = await run(['validate', '-f', '-'], `${gnp('a')}---\n${gnp('b').replace('action: Allow', 'action: Maybe')}`);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /^hit error: \[stdin document 2, GlobalNetworkPolicy\(b\): error with field spec\.ingress\[0\]\.action = 'Maybe'/);
    assert.equal(connects(), 0);
  });

  test('main() version --client prints the client version without a datastore', async () => {
    const { run, connects } = datastore();
    const r = await run(['version', '--client']);
    assert.match(r.out, /^Client Version: {4}v3\.32\.0-percale\.\d+\.\d+\.\d+\nGit commit: {8}\S+\n$/);
    assert.equal(connects(), 0);
  });

  test('main() version shows the cluster version and type', async () => {
    const { run, client } = datastore();
    await client.ensureInitialized({ calicoVersion: 'v3.32.0', clusterType: 'openstack' });
    const r = await run(['version']);
    assert.match(r.out, /\nCluster Version: {3}v3\.32\.0\nCluster Type: {6}openstack\n$/);
  });

  test('main() stops at a cluster of another Calico version unless told to go on', async () => {
    const { run, client } = datastore();
    await client.ensureInitialized({ calicoVersion: 'v3.20.1-5-gabc' });
    assert.deepEqual(await run(['get', 'gnp']), {
      code: 1,
      out: '',
      err: 'failed to get resources: version mismatch.\nClient Version:   v3.32.0-percale.0.1.0\nCluster Version:  3.20.1\nUse --allow-version-mismatch to override\n',
    });
    assert.equal((await run(['apply', '-f', '-'], gnp('a'))).err.split('\n')[0], 'version mismatch.');
    assert.equal((await run(['--allow-version-mismatch', 'get', 'gnp'])).code, 0);
    assert.equal((await run(['get', 'gnp', '--allow-version-mismatch'])).code, 0);
  });

  test('main() fails within the probe deadline when etcd does not answer', async () => {
    const hung = new Proxy({} as ResourceClient, {
      // Not a thenable (`then` undefined), so `await connect()` yields the proxy itself.
      get: (_t, prop) => (prop === 'then' ? undefined : prop === 'close' ? async () => {} : () => new Promise<Resource>(() => {})),
    });
    const { run } = datastore({ connect: async () => hung, probeTimeoutMs: 50 });
    const r = await run(['get', 'gnp']);
    assert.deepEqual(r, { code: 1, out: 'Failed to create Calico API client: cannot connect to the etcd datastore at http://127.0.0.1:2379: no answer within 0.05 s\n', err: '' });
    // Input problems are reported before an unreachable datastore, as calicoctl does.
    assert.match((await run(['apply', '-f', '-'], 'kind: [\n')).err, /^failed to execute command: stdin document 1: error converting YAML to JSON/);
  });

  test('main() reports configuration problems', async () => {
    const { run } = datastore();
    assert.deepEqual(await run(['get', 'gnp', '-c', join(dir, 'missing.cfg')]), { code: 1, out: `Error reading config file: ${join(dir, 'missing.cfg')}\n`, err: '' });
    const cfg = join(dir, 'k8s.cfg');
    writeFileSync(cfg, 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n');
    const r = await run(['get', 'gnp', '--config', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^Failed to create Calico API client: datastore type "kubernetes" is not supported/);
    assert.deepEqual(await run(['-l', 'verbose', 'get', 'gnp']), { code: 1, out: '', err: 'unknown log level: verbose, expected one of: panic, fatal, error, warn, info, debug\n' });
  });

  test('main() says plainly which Calico commands Percale does not implement', async () => {
    const { run } = datastore();
    const r = await run(['node', 'run']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^calicoctl node run is not supported by Percale's calicoctl/);
    assert.match((await run(['ipam', 'show'])).err, /^calicoctl ipam show is not supported by Percale's calicoctl/);
    assert.equal((await run(['bogus'])).code, 1);
  });

  test('main() accepts Go flag spellings', async () => {
    const { run } = datastore();
    await run(['apply', '-f=-'], gnp('a'));
    assert.equal((await run(['get', 'gnp', '-o=custom-columns=NAME', '--export=true'])).out, 'NAME   \na      \n\n');
  });
});
