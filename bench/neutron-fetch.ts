/**
 * Time to read a region's Neutron state through NeutronRestClient, as the controller's resync
 * does: N ports, 30 networks and subnets, 60 security groups with rules, floating IPs.
 * Runs against NEUTRON_URL (noauth) when set, populating it up to N ports first; otherwise it
 * starts the Neutron lab (test/harness/neutron-lab.ts). `BENCH_PORTS` sets N (default 3000).
 *
 * Creating a port through the API costs 0.3–2 s of neutron-server CPU here, so beyond one
 * REST-made port per network the ports are cloned from those in Neutron's SQLite database
 * (the lab's, or NEUTRON_SQLITE): every row that names the template port is copied with a new
 * id, MAC, fixed IP and host. Reading them back costs Neutron the same as reading REST-made ones.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NeutronRestClient } from '../packages/controller/src/neutron/rest/neutron-rest-client.ts';
import { machineInfo } from './_machine.ts';

const PROJECT = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const N = Number(process.env.BENCH_PORTS ?? 3000);
const NETWORKS = 30;
const SECURITY_GROUPS = 60;
const FLOATING_IPS = 10;

async function api(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  // Neutron on SQLite sometimes answers 500 "database is locked" while its own workers write; the
  // failed transaction was rolled back, so trying again is safe.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}/v2.0/${path}`, {
      method,
      headers: { 'X-Auth-Token': 'bench', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 500 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 300 * attempt));
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path} failed: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }
}

type Obj = { id: string; [k: string]: unknown };

/** Creates what is missing for the benchmark's shape, in bulk requests. */
async function populate(base: string, sqlite: string | undefined): Promise<void> {
  // Neutron's default quotas (10 security groups, 500 ports) are far below the benchmark's shape.
  const unlimited = { network: -1, subnet: -1, port: -1, security_group: -1, security_group_rule: -1, floatingip: -1, router: -1 };
  await api(base, 'PUT', `quotas/${PROJECT}`, { quota: unlimited });
  const list = async (path: string, key: string) =>
    ((await api(base, 'GET', `${path}?project_id=${PROJECT}&fields=id&fields=name`))[key] as Obj[]);
  let nets = await list('networks', 'networks');
  if (nets.length < NETWORKS) {
    const fresh = Array.from({ length: NETWORKS - nets.length }, (_, i) => ({ name: `bench-net-${nets.length + i}`, project_id: PROJECT }));
    await api(base, 'POST', 'networks', { networks: fresh });
    nets = await list('networks', 'networks');
  }
  const subnets = await list('subnets', 'subnets');
  if (subnets.length < nets.length) {
    const have = new Set(((await api(base, 'GET', `subnets?project_id=${PROJECT}&fields=network_id`)).subnets as { network_id: string }[]).map((s) => s.network_id));
    const fresh = nets.filter((n) => !have.has(n.id)).map((n) => ({
      network_id: n.id, ip_version: 4, cidr: `10.${100 + Number(String(n.name).split('-').pop())}.0.0/20`, project_id: PROJECT,
    }));
    if (fresh.length) await api(base, 'POST', 'subnets', { subnets: fresh });
  }
  const benchSgs = async () =>
    ((await api(base, 'GET', `security-groups?project_id=${PROJECT}`)).security_groups as (Obj & { security_group_rules: unknown[] })[])
      .filter((s) => String(s.name).startsWith('bench-sg-'));
  let sgs = await benchSgs();
  if (sgs.length < SECURITY_GROUPS) {
    const fresh = Array.from({ length: SECURITY_GROUPS - sgs.length }, (_, i) => ({ name: `bench-sg-${sgs.length + i}`, project_id: PROJECT }));
    await api(base, 'POST', 'security-groups', { security_groups: fresh });
    sgs = await benchSgs();
  }
  // Each new group has Neutron's two default egress rules; add an address rule and a remote-group
  // rule (Neutron takes bulk rules for one group per request).
  for (const [i, sg] of sgs.entries()) {
    if (sg.security_group_rules.length > 2) continue;
    const rules = [
      { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8', project_id: PROJECT },
      { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 8000 + i, port_range_max: 8000 + i, remote_group_id: sgs[(i + 1) % sgs.length]!.id, project_id: PROJECT },
    ];
    await api(base, 'POST', 'security-group-rules', { security_group_rules: rules });
  }
  const count = async () => ((await api(base, 'GET', `ports?project_id=${PROJECT}&fields=id`)).ports as Obj[]).length;
  let have = await count();
  // One REST-made port per network (the templates), then clones; without the database, all by REST.
  const restTarget = sqlite ? Math.min(N, nets.length) : N;
  while (have < restTarget) {
    const batch = Array.from({ length: Math.min(50, restTarget - have) }, (_, i) => {
      const k = have + i;
      return {
        name: `bench-vm-${k}`, network_id: nets[k % nets.length]!.id, project_id: PROJECT,
        security_groups: [sgs[k % sgs.length]!.id, sgs[(k + 7) % sgs.length]!.id],
        allowed_address_pairs: k % 10 === 0 ? [{ ip_address: `192.168.${k % 256}.0/24` }] : [],
        'binding:host_id': `bench-host-${k % 50}`, device_owner: 'compute:nova', device_id: `bench-vm-${k}`,
      };
    });
    await api(base, 'POST', 'ports', { ports: batch });
    have += batch.length;
    process.stderr.write(`ports by REST: ${have}/${restTarget}\n`);
  }
  if (sqlite && have < N) {
    const started = performance.now();
    execFileSync('/usr/bin/python3', ['-c', CLONE_PORTS, sqlite, PROJECT, String(N - have)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    process.stderr.write(`ports cloned in the database: ${N - have} in ${Math.round(performance.now() - started)} ms\n`);
  }
  await floatingIps(base, nets[0]!.id);
}

/** Ten floating IPs on ports of the first network, behind a router to an external network (needs the L3 plugin). */
async function floatingIps(base: string, networkId: string): Promise<void> {
  const existing = await api(base, 'GET', `floatingips?project_id=${PROJECT}&fields=id`).catch(() => undefined);
  if (!existing || (existing.floatingips as Obj[]).length >= FLOATING_IPS) return;
  let external = ((await api(base, 'GET', 'networks?name=bench-external&fields=id')).networks as Obj[])[0];
  if (!external) {
    external = (await api(base, 'POST', 'networks', { network: {
      name: 'bench-external', project_id: PROJECT, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'bench',
    } })).network as Obj;
    await api(base, 'POST', 'subnets', { subnet: { network_id: external.id, cidr: '172.30.0.0/20', ip_version: 4, enable_dhcp: false, project_id: PROJECT } });
    const router = (await api(base, 'POST', 'routers', { router: { name: 'bench-router', project_id: PROJECT, external_gateway_info: { network_id: external.id } } })).router as Obj;
    const subnet = ((await api(base, 'GET', `subnets?network_id=${networkId}&fields=id`)).subnets as Obj[])[0]!;
    await api(base, 'PUT', `routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
  }
  const ports = (await api(base, 'GET', `ports?network_id=${networkId}&device_owner=compute:nova&fields=id&limit=${FLOATING_IPS}`)).ports as Obj[];
  for (const port of ports) {
    await api(base, 'POST', 'floatingips', { floatingip: { floating_network_id: external.id, port_id: port.id, project_id: PROJECT } });
  }
}

/** Copies the project's ports (round robin) until `count` more exist; see the header comment. */
const CLONE_PORTS = `
import ipaddress, random, sqlite3, sys, uuid
db, project, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(db, timeout=60)
con.row_factory = sqlite3.Row
def cols(t): return [c[1] for c in con.execute(f'pragma table_info("{t}")')]
tables = [t for (t,) in con.execute("select name from sqlite_master where type='table'") if 'port_id' in cols(t) and t != 'ipallocations']
templates = [r for r in con.execute("select * from ports where project_id=? and device_owner='compute:nova' order by name", (project,))]
used = {(r['subnet_id'], r['ip_address']) for r in con.execute('select subnet_id, ip_address from ipallocations')}
cidrs = {r['id']: ipaddress.ip_network(r['cidr']) for r in con.execute('select id, cidr from subnets')}
free = {}
def next_ip(subnet):
    it = free.setdefault(subnet, iter(cidrs[subnet].hosts()))
    for ip in it:
        if ip.packed[-1] not in (0, 1) and (subnet, str(ip)) not in used:
            used.add((subnet, str(ip)))
            return str(ip)
    raise SystemExit(f'subnet {subnet} is full')
def insert(table, row):
    keys = list(row.keys())
    con.execute(f'insert into "{table}" ({",".join(keys)}) values ({",".join("?" * len(keys))})', [row[k] for k in keys])
base = con.execute("select count(*) from ports where project_id=?", (project,)).fetchone()[0]
with con:
    for i in range(count):
        t = templates[i % len(templates)]
        k = base + i
        pid = str(uuid.uuid4())
        std = dict(con.execute('select * from standardattributes where id=?', (t['standard_attr_id'],)).fetchone())
        del std['id']
        std_id = con.execute(f'insert into standardattributes ({",".join(std)}) values ({",".join("?" * len(std))})', list(std.values())).lastrowid
        port = dict(t)
        port.update(id=pid, name=f'bench-vm-{k}', device_id=f'bench-vm-{k}', standard_attr_id=std_id,
                    mac_address='fa:16:3e:%02x:%02x:%02x' % (random.randrange(256), random.randrange(256), random.randrange(256)))
        insert('ports', port)
        for table in tables:
            for r in con.execute(f'select * from "{table}" where port_id=?', (t['id'],)).fetchall():
                r = dict(r)
                r['port_id'] = pid
                if 'host' in r and r['host']:
                    r['host'] = f'bench-host-{k % 50}'
                insert(table, r)
        for r in con.execute('select * from ipallocations where port_id=?', (t['id'],)).fetchall():
            r = dict(r)
            r.update(port_id=pid, ip_address=next_ip(r['subnet_id']))
            insert('ipallocations', r)
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU milliseconds the process `pid` has used (user + system), or NaN when it cannot be read. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Median wall time and neutron-server CPU time of `runs` calls. */
async function time<T>(runs: number, serverPid: number | undefined, fn: () => Promise<T>): Promise<{ ms: number; serverCpuMs: number; result: T }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu0 = cpuMs(serverPid);
    result = await fn();
    wall.push(performance.now() - start);
    cpu.push(cpuMs(serverPid) - cpu0);
  }
  return { ms: Math.round(median(wall)), serverCpuMs: Math.round(median(cpu)), result };
}

async function main(): Promise<void> {
  let base = process.env.NEUTRON_URL;
  let sqlite = process.env.NEUTRON_SQLITE;
  let serverPid = process.env.NEUTRON_PID ? Number(process.env.NEUTRON_PID) : undefined;
  let stop: (() => Promise<void>) | undefined;
  if (!base) {
    const { startNeutronLab } = await import('../test/harness/neutron-lab.ts');
    const lab = await startNeutronLab();
    base = lab.neutronUrl;
    sqlite = join(lab.dir, 'neutron.sqlite');
    serverPid = lab.pids[0];
    stop = () => lab.stop();
  }
  try {
    await populate(base, sqlite);
    const runs = Number(process.env.BENCH_RUNS ?? 3);
    const rows: Record<string, unknown>[] = [];
    for (const [label, options] of [
      ['default (fields=, pages of 2000)', {}],
      ['all fields, pages of 2000', { projectFields: false }],
      ['fields=, pages of 500', { pageSize: 500 }],
      ['fields=, one page', { pageSize: 100_000 }],
    ] as const) {
      const client = new NeutronRestClient({ url: base, auth: { type: 'noauth' }, ...options });
      const ports = await time(runs, serverPid, () => client.listPorts());
      const resync = await time(runs, serverPid, () =>
        Promise.all([client.listPorts(), client.listNetworks(), client.listSubnets(), client.listSecurityGroups(), client.listFloatingIps()]),
      );
      const ids = ports.result.slice(0, 500).map((p) => p.id);
      const byId = await time(runs, serverPid, () => client.listPorts({ ids }));
      rows.push({
        client: label, ports: ports.result.length,
        listPorts_ms: ports.ms, listPorts_neutronCpu_ms: ports.serverCpuMs,
        allFive_ms: resync.ms, allFive_neutronCpu_ms: resync.serverCpuMs,
        ports500ById_ms: byId.ms,
        counts: resync.result.map((r) => r.length).join('/'),
      });
    }
    console.table(rows);
    const out = join(import.meta.dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'neutron-fetch.json'), `${JSON.stringify({ machine: machineInfo(), ports: N, runs, neutronServerCpuMeasured: serverPid !== undefined, rows }, null, 2)}\n`);
  } finally {
    await stop?.();
  }
}

await main();
