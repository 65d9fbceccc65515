/**
 * `percale neutron-controller` against a real Neutron: Debian's neutron-server (ML2 with
 * Percale's mechanism driver, noauth, SQLite) and RabbitMQ from the Neutron lab, a real etcd,
 * and the controller as its own process, driven only through Neutron's REST API as an operator
 * would. Checks the exact datastore contents, every kind of change, status back to Neutron (a
 * real `percale agent` in a network namespace), resync after changes made while the controller
 * was stopped, a restart that rewrites nothing, and leader failover between two controllers.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Resource } from '@percale/api';
import { EtcdStore, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import { LAB_PROJECT_ID, neutronLabUnavailable, startNeutronLab, waitUntil, type NeutronLab } from './harness/neutron-lab.ts';
import { labAvailable, NetnsLab, novaTapName, type LabHost } from './harness/netns-lab.ts';
import type { NeutronPort, NeutronSecurityGroup, NeutronSecurityGroupRule } from '../packages/controller/src/neutron/types.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const nodeBin = join(root, 'node_modules/.bin/node');
const percale = join(root, 'node_modules/.bin/percale');
const main = join(root, 'packages/controller/src/main.ts');
const REGION = 'lab';
const NS = `openstack-region-${REGION}`;
const FELIX_AGENT_TYPE = 'Calico per-host agent (felix)';
const skip = (await neutronLabUnavailable()) ?? false;
const skipNetns = !(await labAvailable()) && 'needs ip netns, nft and etcd';

/** A controller process and its log. */
interface Controller {
  child: ChildProcess;
  log: () => string;
  /** Resolves when the log (from `from` on) matches `pattern`. */
  waitFor: (pattern: RegExp, timeoutMs?: number, from?: number) => Promise<void>;
}

describe('percale neutron-controller against a real Neutron', { skip, timeout: 300_000 }, () => {
  const dir = `/dev/shm/percale-nc-${randomUUID().slice(0, 8)}`;
  const socket = join(dir, 'etcd.sock');
  let etcd: LocalEtcd;
  let lab: NeutronLab;
  let store: EtcdStore;
  let configArgs: string[];
  const controllers = new Set<ChildProcess>();

  const startController = (name: string): Controller => {
    let text = '';
    const child = spawn(nodeBin, [main, 'neutron-controller', ...configArgs], {
      env: { ...process.env, PERCALE_LOG_SEVERITY: 'INFO' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    controllers.add(child);
    child.once('exit', () => controllers.delete(child));
    child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
    const log = () => text;
    const waitFor = (pattern: RegExp, timeoutMs = 30_000, from = 0) =>
      waitUntil(`controller ${name}: ${pattern}`, () => {
        if (child.exitCode !== null) throw new Error(`controller ${name} exited with ${child.exitCode}: ${text.slice(-3000)}`);
        return pattern.test(text.slice(from));
      }, timeoutMs, 50).then(() => undefined);
    return { child, log, waitFor };
  };

  /** SIGTERM (or SIGKILL) one controller by PID; resolves its exit code. */
  const stopController = async (c: Controller, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (c.child.exitCode !== null) return c.child.exitCode;
    const exited = new Promise<number | null>((resolve) => c.child.once('exit', (code) => resolve(code)));
    c.child.kill(signal);
    return exited;
  };

  /** The stored value of a key as etcd holds it, parsed. */
  const raw = async (key: string): Promise<Record<string, unknown> | undefined> => {
    const { stdout } = await exec('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--print-value-only', key]);
    return stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>);
  };
  const rawText = async (key: string): Promise<string> =>
    (await exec('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--print-value-only', key])).stdout.replace(/\n$/, '');
  const wepKey = (name: string) => `/calico/resources/v3/projectcalico.org/workloadendpoints/${NS}/${name}`;
  const policyKey = (sg: string) => `/calico/resources/v3/projectcalico.org/networkpolicies/${NS}/ossg.default.${sg}`;
  const subnetKey = (id: string) => `/calico/dhcp/v2/region-${REGION}/subnet/${id}`;
  const wepName = (host: string, port: NeutronPort) => [host, 'openstack', port.device_id, port.id].map((s) => s.replaceAll('-', '--')).join('-');
  const weps = async () => (await store.list({ kind: 'WorkloadEndpoint', namespace: NS })).items;
  const wepOf = async (name: string): Promise<Resource | undefined> => (await weps()).find((r) => r.metadata.name === name);
  /** Drops what etcd generates (checked separately) from a stored value. */
  const envelope = (value: Record<string, unknown> | undefined) => {
    assert.ok(value, 'the key exists');
    const meta = value.metadata as Record<string, unknown>;
    assert.match(String(meta.uid), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(String(meta.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const { uid: _uid, creationTimestamp: _ct, ...rest } = meta;
    return { ...value, metadata: rest };
  };
  /** Mod revisions of everything in the region, to prove nothing was rewritten. */
  const revisions = async (): Promise<string> => {
    const { stdout } = await exec('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', '/calico/', '-w', 'json']);
    const kvs = (JSON.parse(stdout) as { kvs?: Array<{ key: string; mod_revision: number }> }).kvs ?? [];
    return kvs
      .map((kv) => [Buffer.from(kv.key, 'base64').toString(), kv.mod_revision] as const)
      .filter(([k]) => k.includes(NS) || k.includes(`region-${REGION}/subnet`))
      .map(([k, r]) => `${k}@${r}`)
      .sort()
      .join('\n');
  };

  /** Runs an operator step; a Neutron failure is reported with the end of neutron-server's log. */
  const op = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw new Error(`${what} failed: ${(err as Error).message}\n--- neutron-server log ---\n${await lab.logTail(4000)}`, { cause: err });
    }
  };

  before(async () => {
    await mkdir(dir, { recursive: true });
    etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd'), unixSocket: socket });
    lab = await startNeutronLab({ etcd, agentDownTime: 8 });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    const u = new URL(etcd.endpoint);
    const calicoConf = join(dir, 'calico.conf');
    await writeFile(calicoConf, [
      '[calico]', `etcd_host = ${u.hostname}`, `etcd_port = ${u.port}`, `openstack_region = ${REGION}`,
      'election_ttl_secs = 4', 'election_refresh_secs = 1', '',
    ].join('\n'));
    configArgs = [...lab.configFiles.flatMap((f) => ['--config-file', f]), '--config-file', calicoConf];
  });

  after(async () => {
    for (const child of controllers) child.kill('SIGKILL');
    await store?.close().catch(() => undefined);
    await lab?.stop().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  // State shared by the steps below, in order.
  let controller: Controller;
  let net: { network: { id: string }; subnet: { id: string; gateway_ip: string | null }; external: { id: string } };
  let web: NeutronSecurityGroup;
  let db: NeutronSecurityGroup;
  let port: NeutronPort;
  let fipAddress: string;
  let fipId: string;
  const HOST = 'compute-1';

  it('writes networks, subnets, security groups (remote groups included), ports, floating IPs and address pairs exactly as the spec says', async () => {
    controller = startController('A');
    await controller.waitFor(/Became the leader/);
    await controller.waitFor(/Resync finished.*ok=true/);

    net = await lab.api.routedNetwork('10.65.0.0/24', '172.24.4.0/24');
    await lab.api.updateNetwork(net.network.id, { name: 'calico net' });
    await lab.api.updateSubnet(net.subnet.id, { dns_nameservers: ['172.18.10.55'], host_routes: [{ destination: '11.11.0.0/16', nexthop: '10.65.0.1' }] });
    web = await op('creating group web', () => lab.api.createSecurityGroup('web servers (prod)'));
    db = await op('creating group db', () => lab.api.createSecurityGroup('db'));
    const rules: Array<[Record<string, unknown>, (r: NeutronSecurityGroupRule) => Record<string, unknown>]> = [
      [{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: web.id },
        () => ({ action: 'Allow', ipVersion: 4, protocol: 6, source: { selector: `has(sg.projectcalico.org/openstack-${web.id})` }, destination: { ports: [80] } })],
      [{ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0, remote_ip_prefix: '1.2.3.0/24' },
        () => ({ action: 'Allow', ipVersion: 4, protocol: 'ICMP', icmp: { type: 8, code: 0 }, source: { nets: ['1.2.3.0/24'] } })],
      [{ direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 5000, port_range_max: 5010, remote_ip_prefix: '10.0.0.0/8' },
        () => ({ action: 'Allow', ipVersion: 4, protocol: 17, destination: { nets: ['10.0.0.0/8'], ports: ['5000:5010'] } })],
      [{ direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: db.id },
        () => ({ action: 'Allow', ipVersion: 6, protocol: 6, source: { selector: `has(sg.projectcalico.org/openstack-${db.id})` }, destination: { ports: [22] } })],
      // A protocol given as a number: Neutron keeps the text "17", Calico's encoding stores 17.
      [{ direction: 'ingress', ethertype: 'IPv4', protocol: '17', port_range_min: 53, port_range_max: 53 },
        () => ({ action: 'Allow', ipVersion: 4, protocol: 17, destination: { ports: [53] } })],
    ];
    const expectedRule = new Map<string, Record<string, unknown>>();
    for (const [attrs, expected] of rules) {
      const r = await lab.api.createSecurityGroupRule(web.id, attrs);
      expectedRule.set(r.id, expected(r));
    }
    port = await lab.api.createPort(net.network.id, {
      host: HOST, security_groups: [web.id], allowed_address_pairs: [{ ip_address: '10.65.0.200' }],
      fixed_ips: [{ subnet_id: net.subnet.id, ip_address: '10.65.0.10' }], mac_address: 'fa:16:3e:11:22:33',
    });
    const fip = await lab.api.createFloatingIp(net.external.id, port.id);
    fipAddress = fip.floating_ip_address;
    fipId = fip.id;

    const name = wepName(HOST, port);
    await waitUntil('the endpoint with its floating IP', async () => JSON.stringify((await wepOf(name))?.spec ?? {}).includes(fipAddress), 20_000);
    assert.deepEqual(envelope(await raw(wepKey(name))), {
      kind: 'WorkloadEndpoint',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name, namespace: NS,
        labels: {
          [`sg.projectcalico.org/openstack-${web.id}`]: 'web_servers__prod',
          'sg-name.projectcalico.org/openstack-web_servers__prod': web.id,
          'projectcalico.org/namespace': NS,
          'projectcalico.org/orchestrator': 'openstack',
          'projectcalico.org/openstack-project-id': LAB_PROJECT_ID,
          'projectcalico.org/openstack-network-name': 'calico_net',
        },
        annotations: { 'openstack.projectcalico.org/network-id': net.network.id },
      },
      spec: {
        orchestrator: 'openstack', workload: port.device_id, node: HOST, endpoint: port.id,
        ipNetworks: ['10.65.0.10/32', '10.65.0.200/32'], ipv4Gateway: '10.65.0.1',
        ipNATs: [{ internalIP: '10.65.0.10', externalIP: fipAddress }],
        interfaceName: novaTapName(port.id), mac: 'fa:16:3e:11:22:33', allowedIps: ['10.65.0.200/32'],
      },
    });

    // The policy: Neutron's own rule order, Neutron's two default egress rules included.
    await waitUntil('the web policy with all five rules', async () => ((await raw(policyKey(web.id)))?.spec as { ingress?: unknown[] } | undefined)?.ingress?.length === 4, 20_000);
    const group = (await lab.api.getSecurityGroup(web.id))!;
    const translate = (r: NeutronSecurityGroupRule) =>
      expectedRule.get(r.id) ?? (r.protocol === null && r.remote_group_id === null && r.remote_ip_prefix === null ? { action: 'Allow', ipVersion: r.ethertype === 'IPv4' ? 4 : 6 } : assert.fail(`unexpected rule ${JSON.stringify(r)}`));
    const selector = `has(sg.projectcalico.org/openstack-${web.id})`;
    assert.deepEqual(envelope(await raw(policyKey(web.id))), {
      kind: 'NetworkPolicy',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name: `ossg.default.${web.id}`, namespace: NS,
        // Calico ≥ v3.30 records the policy's name here; readers strip it.
        annotations: { 'projectcalico.org/metadata': JSON.stringify({ name: `ossg.default.${web.id}` }) },
      },
      spec: {
        ingress: group.security_group_rules.filter((r) => r.direction === 'ingress').map(translate),
        egress: group.security_group_rules.filter((r) => r.direction === 'egress').map(translate),
        selector,
      },
    });
    // The subnet record, byte for byte as networking-calico writes it.
    assert.equal(
      await rawText(subnetKey(net.subnet.id)),
      `{"network_id": "${net.network.id}", "cidr": "10.65.0.0/24", "host_routes": [{"destination": "11.11.0.0/16", "nexthop": "10.65.0.1"}], "gateway_ip": "10.65.0.1", "dns_servers": ["172.18.10.55"]}`,
    );
    // DHCP, router and floating-IP ports never become endpoints.
    assert.deepEqual((await weps()).map((r) => r.metadata.name), [name]);
    // Felix is told to report endpoint status and to treat tap interfaces as workloads.
    const fc = await raw('/calico/resources/v3/projectcalico.org/felixconfigurations/default');
    assert.deepEqual([(fc!.spec as Record<string, unknown>).endpointReportingEnabled, (fc!.spec as Record<string, unknown>).interfacePrefix], [true, 'tap']);
  });

  it('follows updates and deletes within moments: renames, rules, floating IPs, address pairs, DHCP, host moves', async () => {
    const name = wepName(HOST, port);
    const spec = async () => (await wepOf(name))?.spec as Record<string, unknown> | undefined;

    await lab.api.updateNetwork(net.network.id, { name: 'renamed' });
    await waitUntil('the network-name label follows the rename', async () => (await wepOf(name))?.metadata.labels?.['projectcalico.org/openstack-network-name'] === 'renamed', 15_000);

    const egressRule = (await lab.api.getSecurityGroup(web.id))!.security_group_rules.find((r) => r.protocol === 'udp')!;
    await lab.api.deleteSecurityGroupRule(egressRule.id);
    await waitUntil('the deleted rule leaves the policy', async () => !JSON.stringify(await raw(policyKey(web.id))).includes('5000:5010'), 15_000);

    await lab.api.associateFloatingIp(fipId, null);
    await waitUntil('ipNATs go with the floating IP', async () => (await spec())?.ipNATs === undefined, 15_000);

    await lab.api.updatePort(port.id, { allowed_address_pairs: [{ ip_address: '10.65.0.201' }, { ip_address: '10.65.0.202' }] });
    await waitUntil('address pairs are rewritten', async () => JSON.stringify((await spec())?.allowedIps) === '["10.65.0.201/32","10.65.0.202/32"]', 15_000);
    assert.deepEqual((await spec())!.ipNetworks, ['10.65.0.10/32', '10.65.0.201/32', '10.65.0.202/32']);

    await lab.api.updateSubnet(net.subnet.id, { enable_dhcp: false });
    await waitUntil('the subnet record goes with DHCP', async () => (await rawText(subnetKey(net.subnet.id))) === '', 15_000);
    await lab.api.updateSubnet(net.subnet.id, { enable_dhcp: true });
    await waitUntil('and comes back', async () => (await rawText(subnetKey(net.subnet.id))) !== '', 15_000);

    await lab.api.updatePort(port.id, { 'binding:host_id': 'compute-2' });
    const moved = wepName('compute-2', port);
    await waitUntil('the endpoint moves host', async () => (await weps()).map((r) => r.metadata.name).join() === moved, 15_000);
    await lab.api.updatePort(port.id, { 'binding:host_id': HOST });
    await waitUntil('and back', async () => (await weps()).map((r) => r.metadata.name).join() === name, 15_000);

    const other = await lab.api.createPort(net.network.id, { host: HOST });
    await waitUntil('a second port appears', async () => (await wepOf(wepName(HOST, other))) !== undefined, 15_000);
    await lab.api.deletePort(other.id);
    await waitUntil('and goes with its deletion', async () => (await wepOf(wepName(HOST, other))) === undefined, 15_000);

    await lab.api.deleteSecurityGroup(db.id).catch(() => undefined);
    await waitUntil('a deleted group loses its policy', async () => (await raw(policyKey(db.id))) === undefined, 15_000);
    // Neutron drops web's rule that allowed traffic from db without announcing it.
    await waitUntil("web's policy loses the rule that allowed traffic from db", async () => !JSON.stringify(await raw(policyKey(web.id))).includes(db.id), 15_000);
  });

  it('writes a LiveMigration before the destination endpoint while a port migrates, and removes both when the migration is abandoned', async () => {
    const source = wepName(HOST, port);
    const dest = wepName('compute-2', port);
    const lmKey = `/calico/resources/v3/projectcalico.org/livemigrations/${NS}/${dest}`;
    // Nova's pre-live-migration step, as admin (noauth is admin).
    await op('set binding:profile.migrating_to', () => lab.api.updatePort(port.id, { 'binding:profile': { migrating_to: 'compute-2' } }));
    await waitUntil('the destination endpoint appears', async () => (await wepOf(dest)) !== undefined, 15_000);
    const side = (hostname: string) => ({ hostname, orchestratorID: 'openstack', workloadID: `${NS}/${port.device_id}`, endpointID: port.id });
    assert.deepEqual(envelope(await raw(lmKey)), {
      kind: 'LiveMigration',
      apiVersion: 'projectcalico.org/v3',
      metadata: { name: dest, namespace: NS },
      spec: { source: { workloadEndpoint: side(HOST) }, target: { workloadEndpoint: side('compute-2') } },
    });
    const { stdout } = await exec('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', `/calico/resources/v3/projectcalico.org/`, '-w', 'json']);
    const created = new Map(((JSON.parse(stdout) as { kvs: Array<{ key: string; create_revision: number }> }).kvs).map((kv) => [Buffer.from(kv.key, 'base64').toString(), kv.create_revision]));
    assert.ok(created.get(lmKey)! < created.get(wepKey(dest))!, 'the LiveMigration is written before the destination endpoint');
    const [src, dst] = [(await wepOf(source))!.spec as Record<string, unknown>, (await wepOf(dest))!.spec as Record<string, unknown>];
    assert.deepEqual({ ...dst, node: HOST }, src, 'the destination endpoint differs only in its node (and name)');
    assert.equal(dst.node, 'compute-2');

    // The migration is abandoned: Nova clears migrating_to, the port stays on the source host.
    await op('clear binding:profile', () => lab.api.updatePort(port.id, { 'binding:profile': {} }));
    await waitUntil('the destination endpoint goes', async () => (await wepOf(dest)) === undefined, 15_000);
    assert.equal(await raw(lmKey), undefined, 'the LiveMigration goes too');
    assert.ok(await wepOf(source), 'the source endpoint stays');
  });

  it('resyncs after changes made while it was stopped (stale removed, missing written)', async () => {
    assert.equal(await stopController(controller), 0, 'SIGTERM: clean exit');
    const gone = await lab.api.createPort(net.network.id, { host: HOST });
    // While stopped, nothing follows Neutron… (the port above was never written)
    const fresh = await lab.api.createPort(net.network.id, { host: 'compute-3', security_groups: [web.id] });
    await lab.api.deletePort(gone.id);
    await lab.api.updatePort(port.id, { allowed_address_pairs: [] });
    await lab.api.createSecurityGroupRule(web.id, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443 });
    // …and someone leaves stale data behind.
    const stale = (await wepOf(wepName(HOST, port)))!;
    await store.create({ ...stale, metadata: { name: wepName('compute-9', port), namespace: NS, labels: stale.metadata.labels! }, spec: { ...stale.spec, node: 'compute-9' } });
    await store.create({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'ossg.default.gone', namespace: NS }, spec: { selector: 'all()' } });
    await store.create({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'operator-policy', namespace: NS }, spec: { selector: 'all()' } });

    controller = startController('A2');
    await controller.waitFor(/Resync finished.*ok=true/);
    const names = (await weps()).map((r) => r.metadata.name).sort();
    assert.deepEqual(names, [wepName(HOST, port), wepName('compute-3', fresh)].sort());
    assert.deepEqual(((await wepOf(wepName(HOST, port)))!.spec as Record<string, unknown>).allowedIps ?? [], []);
    assert.match(JSON.stringify(await raw(policyKey(web.id))), /"ports":\[443\]/);
    assert.equal(await raw(policyKey('gone')), undefined, 'our stale policy is removed');
    assert.ok(await raw(`/calico/resources/v3/projectcalico.org/networkpolicies/${NS}/operator-policy`), 'an operator policy is left alone');
  });

  it('restarts with nothing lost and nothing rewritten', async () => {
    const before = await revisions();
    assert.equal(await stopController(controller), 0);
    controller = startController('A3');
    await controller.waitFor(/Resync finished.*ok=true/);
    assert.match(controller.log(), /endpoints=2\/0\/0\/0/, 'every endpoint correct, none updated, deleted or created');
    // Includes the web policy, whose protocol "17" rule is stored as 17: read alike, not rewritten.
    assert.match(controller.log(), /policy=\d+\/0\/0\/0/, 'every policy correct, none updated, deleted or created');
    assert.equal(await revisions(), before);
  });

  it('neutron-resync prints the summary of a narrow resync and changes nothing that is right', async () => {
    const before = await revisions();
    const out = join(dir, 'resync.json');
    const { stdout } = await exec(percale, ['neutron-resync', ...configArgs, '--port', port.id, '--include-sgs-for-ports', '-o', out], { timeout: 60_000 });
    const result = JSON.parse(stdout) as { ok: boolean; scope: Record<string, unknown>; phases: Record<string, Record<string, number>> };
    assert.equal(result.ok, true);
    assert.deepEqual(result.scope, { all: false, include_sgs_for_ports: true, networks: [], ports: [port.id], security_groups: [], subnets: [] });
    assert.deepEqual(Object.keys(result.phases), ['endpoints', 'expand', 'policy', 'subnets'], 'key-sorted, no felix_config for a narrow scope');
    assert.deepEqual([result.phases.endpoints!.correct, result.phases.endpoints!.updated, result.phases.endpoints!.created, result.phases.policy!.correct], [1, 0, 0, 1]);
    assert.match(stdout, /^\{\n {2}"error": null,\n {2}"finished_at"/);
    assert.equal(await readFile(out, 'utf8'), stdout);
    assert.equal(await revisions(), before);

    const bad = join(dir, 'bad-region.conf');
    await writeFile(bad, '[calico]\nopenstack_region = RegionOne\n');
    const failed = await exec(percale, ['neutron-resync', ...configArgs, '--config-file', bad], { timeout: 30_000 }).then(() => assert.fail('exit 0'), (e: { code: number; stderr: string }) => e);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /\[calico\] openstack_region "RegionOne" \(.*bad-region.conf line 2\): a region name must be a DNS label/);
  });

  it('fails over to a standby controller when the leader dies', async () => {
    const standby = startController('B');
    await standby.waitFor(/waiting for leadership/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(standby.log(), /Became the leader/, 'one leader at a time');
    assert.equal(await stopController(controller, 'SIGKILL'), null);
    await standby.waitFor(/Became the leader/, 15_000);
    await standby.waitFor(/Resync finished.*ok=true/);
    const late = await lab.api.createPort(net.network.id, { host: HOST });
    await waitUntil('the new leader follows Neutron', async () => (await wepOf(wepName(HOST, late))) !== undefined, 15_000);
    controller = standby;
  });

  it('reports a live agent to Neutron, turns a bound port ACTIVE, and lets a stopped agent turn dead', { skip: skipNetns }, async () => {
    const netns = new NetnsLab();
    try {
      const [host] = await netns.hostPair({ name: 'ca', vmSubnet: '10.65.0.0/24' }, { name: 'cb', vmSubnet: '10.66.0.0/24' });
      const hostname = `${netns.prefix}-compute`;
      const cfg = join(dir, 'felix.cfg');
      await writeFile(cfg, [
        '[global]', `FelixHostname = ${hostname}`, `EtcdEndpoints = unix://${socket}:0`, 'InterfacePrefix = tap',
        `OpenstackRegion = ${REGION}`, 'EndpointReportingEnabled = true', 'ReportingIntervalSecs = 2', 'HealthHost = 127.0.0.1',
        'LogFilePath = none', 'LogSeverityScreen = WARNING', '',
      ].join('\n'));
      const agent = netns.start(host.ns, [percale, 'agent', '--config-file', cfg]);
      let agentLog = '';
      agent.stdout!.resume();
      agent.stderr!.on('data', (b: Buffer) => (agentLog = (agentLog + b.toString()).slice(-4000)));
      await waitUntil(`agent ${hostname} alive in Neutron's agent list`, async () => (await lab.api.getAgent(hostname, FELIX_AGENT_TYPE))?.alive === true, 40_000)
        .catch((err: Error) => assert.fail(`${err.message}\nagent: ${agentLog}\ncontroller: ${controller.log().slice(-2000)}`));
      // As an operator sees it: the OpenStack client's agent list.
      const home = join(dir, 'osc-home');
      await mkdir(home, { recursive: true });
      const { stdout: agentsJson } = await exec('openstack', ['--os-auth-type', 'none', '--os-endpoint', lab.neutronUrl, 'network', 'agent', 'list', '-f', 'json'], {
        timeout: 60_000, env: { ...process.env, HOME: home },
      });
      const listed = (JSON.parse(agentsJson) as Array<Record<string, unknown>>).filter((a) => a.Host === hostname);
      assert.deepEqual(listed.map((a) => [a['Agent Type'], a.Alive]), [[FELIX_AGENT_TYPE, true]], agentsJson);

      const vmPort = await lab.api.createPort(net.network.id, {
        host: hostname, security_groups: [web.id], fixed_ips: [{ subnet_id: net.subnet.id, ip_address: '10.65.0.50' }], mac_address: 'fa:16:3e:aa:bb:cc',
      });
      assert.equal(vmPort['binding:vif_type'], 'tap', 'bound on a host with a live agent');
      const vm = await netns.vm(host as LabHost, 'vm', '10.65.0.50', novaTapName(vmPort.id));
      await netns.in(vm.ns, ['ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:aa:bb:cc']);
      await waitUntil('the port turns ACTIVE', async () => (await lab.api.getPort(vmPort.id))?.status === 'ACTIVE', 40_000)
        .catch((err: Error) => assert.fail(`${err.message}\nagent: ${agentLog}\ncontroller: ${controller.log().slice(-2000)}`));
      // A stopped agent's heartbeat expires; Neutron then lists the host as dead (agent_down_time 8 s here).
      await netns.stop(agent);
      await waitUntil(`agent ${hostname} dead in Neutron's agent list`, async () => (await lab.api.getAgent(hostname, FELIX_AGENT_TYPE))?.alive === false, 40_000);
    } finally {
      await netns.destroy();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    assert.equal(await stopController(controller), 0);
    assert.match(controller.log(), /No longer the leader/);
  });
});
