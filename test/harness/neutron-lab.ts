/**
 * A real Neutron for tests: a private RabbitMQ and a neutron-server (ML2 with Percale's `percale`
 * mechanism driver, noauth, SQLite) on 127.0.0.1, with agent RPC and notifications over that
 * RabbitMQ, plus REST helpers that act as an operator. Everything it starts lives under one
 * mkdtemp directory and is stopped by PID in `stop()`, also when start-up fails.
 *
 * @example
 * const rabbit = await startLabRabbit();                       // optional: one broker per file
 * const lab = await startNeutronLab({ rabbit, agentDownTime: 8 });
 * const net = await lab.api.routedNetwork();                   // external net, router, tenant subnet
 * const port = await lab.api.createPort(net.network.id, { host: 'compute-1' });
 * // point a controller at it: lab.configFiles (neutron.conf, ml2_conf.ini), lab.rabbitUrl
 * await lab.stop();
 * await rabbit.stop();
 * @module
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, rmSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { freePort, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import type {
  NeutronFloatingIp, NeutronNetwork, NeutronPort, NeutronSecurityGroup, NeutronSecurityGroupRule, NeutronSubnet,
} from '../../packages/controller/src/neutron/types.ts';
import { until, WaitAborted } from './netns-lab.ts';

const exec = promisify(execFile);

const RABBIT_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const NEUTRON_SERVER = '/usr/bin/neutron-server';

/**
 * neutron-server adapted to SQLite, which allows one writer at a time:
 * - the RPC and periodic workers Neutron would fork run in the API process (one writing process);
 * - "database is locked" (a transaction that cannot take the write lock) is raised as oslo.db's
 *   DBDeadlock, which Neutron already retries with backoff, exactly as for a MySQL deadlock.
 * Without both, state reports and port creates fail at random whenever they overlap. It also
 * creates the schema first, which saves a second interpreter importing all of Neutron.
 */
const SQLITE_SERVER = `
import os, sys
import neutron.cmd.eventlet.server as server  # monkey-patches eventlet before anything else loads
import sqlalchemy as sa
import sqlalchemy.exc as sqla_exc
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import exc_filters
from neutron import service

@exc_filters.filters("sqlite", sqla_exc.OperationalError, r".*database is locked")
def _locked_is_a_deadlock(error, match, engine_name, is_disconnect):
    raise db_exc.DBDeadlock(error)

def in_process(get_workers):
    def wrapped(*args, **kwargs):
        workers = get_workers(*args, **kwargs)
        for worker in workers:
            worker._worker_process_count = 0
        return workers
    return wrapped

def create_schema(url):
    # What Neutron's unit tests do (SQLite cannot run the migrations): create_all from the
    # models, then what \`neutron-db-manage stamp heads\` writes, the heads Neutron ships.
    from neutron.db.migration.models import head
    import neutron.db.migration as migration
    versions = os.path.join(os.path.dirname(migration.__file__), "alembic_migrations", "versions")
    heads = [open(os.path.join(versions, f)).read().strip() for f in ("CONTRACT_HEAD", "EXPAND_HEAD")]
    with sa.create_engine(url).begin() as conn:
        head.get_metadata().create_all(conn)
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        for rev in heads:
            conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})

create_schema(os.environ.pop("PERCALE_LAB_SCHEMA_URL"))
service._get_rpc_workers = in_process(service._get_rpc_workers)
service._get_plugins_workers = in_process(service._get_plugins_workers)
sys.argv[0] = "neutron-server"
sys.exit(server.main())
`;
const PYTHON = '/usr/bin/python3';
const DRIVER_INSTALL = resolve(import.meta.dirname, '../../packages/neutron-driver/install.sh');
/** RabbitMQ virtual hosts pre-created at boot, one per neutron-server sharing the broker. */
const VHOSTS = 32;

/** The project every helper puts in `project_id` unless told otherwise (noauth requires one on POST). */
export const LAB_PROJECT_ID = '11111111111111111111111111111111';

/** Why the Neutron lab cannot run here, or undefined when it can (root, neutron-server, RabbitMQ, epmd). */
export async function neutronLabUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the Neutron lab needs root (RabbitMQ and neutron-server run as root here)';
  for (const file of [RABBIT_SERVER, NEUTRON_SERVER, PYTHON]) {
    try {
      await access(file);
    } catch {
      return `the Neutron lab needs ${file} (install neutron-server and rabbitmq-server)`;
    }
  }
  try {
    await exec('sh', ['-c', 'command -v epmd'], { timeout: 5_000 });
  } catch {
    return 'the Neutron lab needs epmd on PATH (erlang-base)';
  }
  return undefined;
}

/** Thrown by a `waitUntil` check to stop waiting at once (the netns lab's class). */
export { WaitAborted };

/** The netns lab's `until` with the Neutron lab's defaults: a timeout always given, a 100 ms poll. */
export function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<number> {
  return until(what, check, timeoutMs, everyMs);
}

/** A process the lab started, in its own process group so its children go with it. */
interface LabProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
}

/**
 * Process groups and directories of labs not yet stopped. Lab processes run in their own groups
 * (so their children can be ended with them), which also means they would outlive a test process
 * that dies without calling stop(): on exit, SIGINT or SIGTERM, end them by PID here.
 */
const leftovers = { groups: new Set<number>(), dirs: new Set<string>(), hooked: false };

function cleanUpLeftovers(): void {
  for (const pgid of leftovers.groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  leftovers.groups.clear();
  for (const dir of leftovers.dirs) rmSync(dir, { recursive: true, force: true });
  leftovers.dirs.clear();
}

function guardLeftovers(): void {
  if (leftovers.hooked) return;
  leftovers.hooked = true;
  process.once('exit', cleanUpLeftovers);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpLeftovers();
      // Then die of the signal as if nobody had listened.
      process.kill(process.pid, signal);
    });
  }
}

function startProcess(name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile?: string): LabProcess {
  let out = '';
  guardLeftovers();
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // Tracked until stopProcess has killed the whole group: children can outlive the leader.
  if (child.pid !== undefined) leftovers.groups.add(child.pid);
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-16_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure ('error') must not crash the test process; it shows up as an exit.
  child.on('error', (err) => keep(Buffer.from(`\nspawn ${cmd} failed: ${err.message}\n`)));
  return {
    name,
    child,
    output: () => (logFile ? `${out}\n(log: ${logFile})` : out),
  };
}

function exited(p: LabProcess): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null || p.child.pid === undefined;
}

/** Ends a lab process and its group by PID: SIGTERM, SIGKILL after `graceMs`. Never throws. */
async function stopProcess(p: LabProcess, graceMs: number): Promise<void> {
  const pid = p.child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  };
  if (!exited(p)) {
    const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
    signalGroup(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    await Promise.race([gone, delay(graceMs + 5_000)]);
    clearTimeout(timer);
  }
  // Children that outlived the leader (forked workers) share its group.
  signalGroup('SIGKILL');
  leftovers.groups.delete(pid);
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolvePromise(true)));
    s.once('error', () => resolvePromise(false));
  });
}

/** /dev/shm when writable (tmpfs: no fsync cost for SQLite and mnesia), else the OS temp dir. */
async function defaultBaseDir(): Promise<string> {
  try {
    await access('/dev/shm', fsConstants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

function tail(text: string, chars = 3_000): string {
  return text.trim().slice(-chars);
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ

/** A private RabbitMQ broker on 127.0.0.1 (user guest/guest, vhosts `/` and `lab-1`…`lab-32`). */
export interface LabRabbit {
  /** AMQP port on 127.0.0.1. */
  readonly port: number;
  /** `amqp://guest:guest@127.0.0.1:<port>/<vhost>`; the default vhost `/` when omitted. */
  url(vhost?: string): string;
  /** Hands out a fresh pre-created vhost, so several neutron-servers can share this broker. */
  allocateVhost(): string;
  /** PIDs of the processes started for it (the rabbitmq-server group leader and epmd). */
  readonly pids: readonly number[];
  /** Milliseconds from spawn to accepting AMQP connections. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export interface LabRabbitOptions {
  /** AMQP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Parent directory for its files (default: a fresh mkdtemp under the OS temp dir, removed on stop). */
  dir?: string;
  /** Bound on start-up (default 60 s). */
  startTimeoutMs?: number;
}

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ sha256(salt ‖ password)). */
function rabbitPasswordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest()]).toString('base64');
}

/**
 * Starts RabbitMQ by running the server script directly (the /usr/sbin wrapper `su`s to the
 * rabbitmq user) with its own epmd on a free loopback port, so that epmd is ours to stop.
 */
export async function startLabRabbit(options: LabRabbitOptions = {}): Promise<LabRabbit> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(await defaultBaseDir(), 'percale-rabbit-')));
  if (ownDir) leftovers.dirs.add(dir);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const [port, distPort, epmdPort] = await Promise.all([options.port ?? freePort(), freePort(), freePort()]);
  const nodeName = `percale-${randomBytes(4).toString('hex')}@localhost`;
  const processes: LabProcess[] = [];
  const stop = async () => {
    // The data is thrown away, so there is nothing to shut down gracefully.
    for (const p of processes.reverse()) await stopProcess(p, 0);
    if (ownDir) {
      await rm(dir, { recursive: true, force: true });
      leftovers.dirs.delete(dir);
    }
  };
  const started = Date.now();
  try {
    await mkdir(join(dir, 'log'), { recursive: true });
    const vhosts = ['/', ...Array.from({ length: VHOSTS }, (_, i) => `lab-${i + 1}`)];
    await writeFile(join(dir, 'definitions.json'), JSON.stringify({
      users: [{ name: 'guest', password_hash: rabbitPasswordHash('guest'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'administrator' }],
      vhosts: vhosts.map((name) => ({ name })),
      permissions: vhosts.map((vhost) => ({ user: 'guest', vhost, configure: '.*', write: '.*', read: '.*' })),
    }));
    await writeFile(join(dir, 'rabbitmq.conf'), [
      `listeners.tcp.1 = 127.0.0.1:${port}`,
      `load_definitions = ${join(dir, 'definitions.json')}`,
      'log.console = false',
      'log.file.level = warning',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'enabled_plugins'), '[].\n');
    const erlEnv = { ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
    const epmd = startProcess('epmd', 'epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { ...process.env, ...erlEnv });
    processes.push(epmd);
    await waitUntil(`epmd on 127.0.0.1:${epmdPort}`, () => portOpen(epmdPort), 5_000, 20);
    const rabbit = startProcess('rabbitmq-server', RABBIT_SERVER, [], {
      ...process.env,
      ...erlEnv,
      HOME: dir,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    }, join(dir, 'log'));
    processes.push(rabbit);
    await waitUntil(`RabbitMQ to accept AMQP on 127.0.0.1:${port}`, async () => {
      if (exited(rabbit)) throw new WaitAborted('exited');
      if (!(await portOpen(port))) return false;
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/lab-1`);
      await conn.close();
      return true;
    }, timeoutMs, 100).catch((err: Error) => {
      throw new Error(`RabbitMQ did not start (${exited(rabbit) ? `exited with ${rabbit.child.exitCode ?? rabbit.child.signalCode}` : err.message}): ${tail(rabbit.output())}`);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const startupMs = Date.now() - started;
  let nextVhost = 1;
  const url = (vhost = '/') => `amqp://guest:guest@127.0.0.1:${port}/${encodeURIComponent(vhost)}`;
  return {
    port,
    url,
    allocateVhost: () => {
      if (nextVhost > VHOSTS) throw new Error(`The lab RabbitMQ has only ${VHOSTS} vhosts; start another broker`);
      return `lab-${nextVhost++}`;
    },
    pids: processes.map((p) => p.child.pid!),
    startupMs,
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Neutron

/** Options of `startNeutronLab`. */
export interface NeutronLabOptions {
  /** Share a broker (one per test file); default: start a private one, stopped with the lab. */
  rabbit?: LabRabbit;
  /** Also run etcd: `true` starts a private one (stopped with the lab), or pass a shared one. */
  etcd?: boolean | LocalEtcd;
  /** Neutron's `agent_down_time` in seconds (default 75, Neutron's own default; tests use a few). */
  agentDownTime?: number;
  /** ML2 mechanism drivers (default `['percale']`). */
  mechanismDrivers?: readonly string[];
  /** Neutron service plugins (default `['router']`, enough for routers and floating IPs). */
  servicePlugins?: readonly string[];
  /** Log at debug level (default false). */
  debug?: boolean;
  /** Keep the lab directory after stop (for post-mortems). */
  keepDir?: boolean;
  /** Bound on the whole start-up (default 90 s). */
  startTimeoutMs?: number;
  /** Where the lab's mkdtemp directory goes (default /dev/shm when present: SQLite and mnesia on tmpfs). */
  baseDir?: string;
}

/** Timings of one start-up, in milliseconds from the start of `startNeutronLab` (server: from its spawn). */
export interface NeutronLabTimings {
  /** RabbitMQ accepting connections (0 when shared). */
  rabbit: number;
  /** neutron-server spawn to API answering and RPC topics consumed (schema creation included). */
  server: number;
  total: number;
}

/** A running Neutron lab. */
export interface NeutronLab {
  /** `http://127.0.0.1:<port>` (the API is under `/v2.0`). */
  readonly neutronUrl: string;
  /** The AMQP URL of the vhost this neutron-server uses for RPC and notifications. */
  readonly rabbitUrl: string;
  readonly rabbit: LabRabbit;
  /** The etcd endpoint when `etcd` was asked for. */
  readonly etcdEndpoint: string | undefined;
  /** neutron.conf and ml2_conf.ini, for a controller's `--config-file` arguments. */
  readonly configFiles: readonly string[];
  /** The lab's private directory. */
  readonly dir: string;
  /** Neutron's `agent_down_time` in seconds. */
  readonly agentDownTime: number;
  readonly timings: NeutronLabTimings;
  /** PIDs of the process groups this lab started (neutron-server, and the broker's when not shared). */
  readonly pids: readonly number[];
  /** Operator REST helpers (noauth; every POST carries `project_id`). */
  readonly api: NeutronLabApi;
  /** The last part of neutron-server's log, for failure messages. */
  logTail(chars?: number): Promise<string>;
  /** Stops neutron-server (and the broker/etcd the lab started itself) by PID; removes the directory. */
  stop(): Promise<void>;
}

function neutronConf(o: {
  dir: string; port: number; transportUrl: string; agentDownTime: number; servicePlugins: readonly string[]; debug: boolean;
}): string {
  return `[DEFAULT]
auth_strategy = noauth
core_plugin = ml2
service_plugins = ${o.servicePlugins.join(',')}
bind_host = 127.0.0.1
bind_port = ${o.port}
host = percale-lab
api_workers = 0
# Forced into the API process by the lab's launcher (SQLite tolerates one writing process).
rpc_workers = 1
rpc_state_report_workers = 0
state_path = ${join(o.dir, 'state')}
transport_url = ${o.transportUrl}
agent_down_time = ${o.agentDownTime}
dhcp_agent_notification = false
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
router_auto_schedule = false
network_auto_schedule = false
allow_overlapping_ips = true
debug = ${o.debug}
use_stderr = false
log_file = ${join(o.dir, 'neutron-server.log')}
graceful_shutdown_timeout = 2

[database]
# A short busy wait: in one eventlet process the lock holder cannot run while we block, so fail
# fast into Neutron's retry instead.
connection = sqlite:///${join(o.dir, 'neutron.sqlite')}?timeout=0.2

[oslo_concurrency]
lock_path = ${join(o.dir, 'lock')}

[oslo_messaging_notifications]
driver = messagingv2

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 30
# The broker may still be booting when neutron-server connects: retry every second.
rabbit_retry_interval = 1
rabbit_interval_max = 1

[agent]
root_helper =
`;
}

function ml2Conf(mechanismDrivers: readonly string[]): string {
  return `[ml2]
type_drivers = local,flat
tenant_network_types = local
mechanism_drivers = ${mechanismDrivers.join(',')}
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *

[securitygroup]
enable_security_group = true
firewall_driver = noop
`;
}

async function installDriver(prefix: string): Promise<void> {
  try {
    await exec('sh', [DRIVER_INSTALL, '--prefix', prefix, '--python', PYTHON], { timeout: 20_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`Installing the percale ML2 driver into '${prefix}' failed: ${tail(e.stderr ?? e.message)}`, { cause: err });
  }
}

/** True once neutron-server's RPC worker consumes the agent topics (a cast before that is lost). */
async function rpcConsumersReady(rabbitUrl: string): Promise<boolean> {
  const conn = await amqp.connect(rabbitUrl);
  try {
    // checkQueue on a missing queue closes the channel; use one channel per check.
    for (const queue of ['q-reports-plugin', 'q-plugin']) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      const ok = await ch.checkQueue(queue).then((q) => q.consumerCount > 0, () => false);
      if (!ok) return false;
      await ch.close().catch(() => undefined);
    }
    return true;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Starts a Neutron lab: RabbitMQ (unless shared) and neutron-server boot side by side (the
 * server creates its schema, then retries the broker every second); resolves once the API
 * answers and neutron-server consumes `q-reports-plugin` and `q-plugin`.
 */
export async function startNeutronLab(options: NeutronLabOptions = {}): Promise<NeutronLab> {
  const started = Date.now();
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const deadline = started + timeoutMs;
  const left = () => Math.max(1_000, deadline - Date.now());
  const dir = await mkdtemp(join(options.baseDir ?? (await defaultBaseDir()), 'percale-neutron-'));
  if (!options.keepDir) leftovers.dirs.add(dir);
  const agentDownTime = options.agentDownTime ?? 75;
  let rabbit = options.rabbit;
  let etcd = typeof options.etcd === 'object' ? options.etcd : undefined;
  let server: LabProcess | undefined;
  const ownRabbit = !options.rabbit;
  const ownEtcd = options.etcd === true;
  const stop = async () => {
    // The database is thrown away: no graceful shutdown needed (SIGTERM takes neutron-server > 1.5 s).
    if (server) await stopProcess(server, 0);
    await Promise.all([
      ownRabbit && rabbit ? rabbit.stop() : undefined,
      ownEtcd && etcd ? etcd.stop() : undefined,
    ]);
    if (!options.keepDir) {
      await rm(dir, { recursive: true, force: true });
      leftovers.dirs.delete(dir);
    }
  };
  const timings: NeutronLabTimings = { rabbit: 0, server: 0, total: 0 };
  // Started in the background; awaited (and, on failure, settled before cleaning up) below.
  let rabbitStart: Promise<void> = Promise.resolve();
  let etcdStart: Promise<void> = Promise.resolve();
  try {
    const [port, rabbitPort] = await Promise.all([freePort(), ownRabbit ? freePort() : Promise.resolve(rabbit!.port)]);
    // A fresh broker's first vhost is lab-1; a shared one hands out the next.
    const vhost = ownRabbit ? 'lab-1' : rabbit!.allocateVhost();
    const rabbitUrl = `amqp://guest:guest@127.0.0.1:${rabbitPort}/${vhost}`;
    rabbitStart = (async () => {
      if (!ownRabbit) return;
      const own = await startLabRabbit({ dir: join(dir, 'rabbit'), port: rabbitPort, startTimeoutMs: left() });
      rabbit = own;
      const allocated = own.allocateVhost();
      if (allocated !== vhost) throw new Error(`The lab RabbitMQ gave vhost '${allocated}', expected '${vhost}'`);
      timings.rabbit = Date.now() - started;
    })();
    etcdStart = (async () => {
      if (ownEtcd) etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd'), startTimeoutMs: left() });
    })();
    const configFiles = [join(dir, 'neutron.conf'), join(dir, 'ml2_conf.ini')] as const;
    await mkdir(join(dir, 'state'), { recursive: true });
    await mkdir(join(dir, 'lock'), { recursive: true });
    // oslo.messaging picks its driver by scheme: `rabbit://`, not `amqp://` (that is AMQP 1.0).
    await writeFile(configFiles[0], neutronConf({
      dir, port, transportUrl: rabbitUrl.replace(/^amqp:/, 'rabbit:'), agentDownTime,
      servicePlugins: options.servicePlugins ?? ['router'], debug: options.debug ?? false,
    }));
    await writeFile(configFiles[1], ml2Conf(options.mechanismDrivers ?? ['percale']));
    const pythonPath = join(dir, 'python');
    await installDriver(pythonPath);

    // neutron-server boots (imports, schema, API) while RabbitMQ does; oslo retries the broker every second.
    const serverStart = Date.now();
    server = startProcess('neutron-server', PYTHON, ['-c', SQLITE_SERVER, ...configFiles.flatMap((f) => ['--config-file', f])], {
      ...process.env,
      PYTHONPATH: [pythonPath, process.env.PYTHONPATH].filter(Boolean).join(':'),
      PERCALE_LAB_SCHEMA_URL: `sqlite:///${join(dir, 'neutron.sqlite')}`,
    }, join(dir, 'neutron-server.log'));
    const neutronUrl = `http://127.0.0.1:${port}`;
    const logTail = async (chars = 3_000) => tail(await readFile(join(dir, 'neutron-server.log'), 'utf8').catch(() => ''), chars);
    const proc = server;
    const failure = async (what: string) =>
      new Error(`neutron-server did not ${what}${exited(proc) ? ` (exited with ${proc.child.exitCode ?? proc.child.signalCode})` : ''}: ${tail(proc.output(), 1_000)}\n${await logTail()}`);
    await waitUntil('neutron-server to answer GET /v2.0/networks', async () => {
      if (exited(proc)) throw new WaitAborted('exited');
      const res = await fetch(`${neutronUrl}/v2.0/networks?limit=1`, { headers: { 'X-Auth-Token': 'lab' }, signal: AbortSignal.timeout(2_000) });
      return res.ok;
    }, left(), 100).catch(async () => {
      throw await failure(`answer at ${neutronUrl}`);
    });
    await rabbitStart;
    await etcdStart;
    await waitUntil('neutron-server to consume q-reports-plugin and q-plugin', async () => {
      if (exited(proc)) throw new WaitAborted('exited');
      return rpcConsumersReady(rabbitUrl);
    }, left(), 100).catch(async () => {
      throw await failure(`consume its RPC topics on ${rabbitUrl}`);
    });
    timings.server = Date.now() - serverStart;
    timings.total = Date.now() - started;
    return {
      neutronUrl,
      rabbitUrl,
      rabbit: rabbit!,
      etcdEndpoint: etcd?.endpoint,
      configFiles,
      dir,
      agentDownTime,
      timings,
      pids: [server.child.pid!, ...(ownRabbit ? rabbit!.pids : [])],
      api: new NeutronLabApi(neutronUrl),
      logTail,
      stop,
    };
  } catch (err) {
    // A broker or etcd still starting would be orphaned: let it finish (or fail and clean up) first.
    await Promise.allSettled([rabbitStart, etcdStart]);
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// REST helpers

/** A Neutron REST error: the request, the status and Neutron's message. */
export class NeutronApiError extends Error {
  readonly code = 'NEUTRON_LAB_API_ERROR';
  readonly status: number;
  constructor(method: string, path: string, status: number, body: string) {
    super(`Neutron ${method} ${path} failed with ${status}: ${body.slice(0, 500)}`);
    this.name = 'NeutronApiError';
    this.status = status;
  }
}

/** A Neutron agent as `GET /v2.0/agents` shows it. */
export interface NeutronAgent {
  id: string;
  agent_type: string;
  binary: string;
  host: string;
  topic: string;
  alive: boolean;
  admin_state_up: boolean;
  heartbeat_timestamp: string;
  started_at: string;
  configurations: Record<string, unknown>;
}

/** A router as `GET /v2.0/routers` shows it (only what tests use). */
export interface NeutronRouter {
  id: string;
  name: string;
  external_gateway_info: { network_id: string } | null;
}

type Body = Record<string, unknown>;

/** Operator-side REST calls against the lab's neutron-server (noauth: every caller is admin). */
export class NeutronLabApi {
  readonly url: string;
  readonly projectId: string;

  constructor(url: string, projectId = LAB_PROJECT_ID) {
    this.url = url;
    this.projectId = projectId;
  }

  /** One REST call; resolves the parsed body (undefined for 204), throws NeutronApiError otherwise. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/v2.0${path}`, {
      method,
      headers: { 'X-Auth-Token': 'lab', 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new NeutronApiError(method, path, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async #create<T>(collection: string, kind: string, attrs: Body): Promise<T> {
    const res = await this.request<Record<string, T>>('POST', `/${collection}`, { [kind]: { project_id: this.projectId, ...attrs } });
    return res[kind]!;
  }

  async #update<T>(collection: string, kind: string, id: string, attrs: Body): Promise<T> {
    const res = await this.request<Record<string, T>>('PUT', `/${collection}/${id}`, { [kind]: attrs });
    return res[kind]!;
  }

  async #get<T>(collection: string, kind: string, id: string): Promise<T | undefined> {
    try {
      return (await this.request<Record<string, T>>('GET', `/${collection}/${id}`))[kind];
    } catch (err) {
      if (err instanceof NeutronApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async #delete(collection: string, id: string): Promise<void> {
    await this.request('DELETE', `/${collection}/${id}`);
  }

  /** A tenant network (type `local` by default). */
  createNetwork(attrs: Body = {}): Promise<NeutronNetwork> {
    return this.#create('networks', 'network', { name: 'lab-net', ...attrs });
  }
  /** An external flat network, for router gateways and floating IPs. */
  createExternalNetwork(attrs: Body = {}): Promise<NeutronNetwork> {
    return this.#create('networks', 'network', {
      name: 'lab-external', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public', ...attrs,
    });
  }
  updateNetwork(id: string, attrs: Body): Promise<NeutronNetwork> {
    return this.#update('networks', 'network', id, attrs);
  }
  deleteNetwork(id: string): Promise<void> {
    return this.#delete('networks', id);
  }

  createSubnet(networkId: string, cidr: string, attrs: Body = {}): Promise<NeutronSubnet> {
    return this.#create('subnets', 'subnet', { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...attrs });
  }
  updateSubnet(id: string, attrs: Body): Promise<NeutronSubnet> {
    return this.#update('subnets', 'subnet', id, attrs);
  }
  deleteSubnet(id: string): Promise<void> {
    return this.#delete('subnets', id);
  }

  /** A security group; Neutron adds its two default egress rules. */
  createSecurityGroup(name: string, attrs: Body = {}): Promise<NeutronSecurityGroup> {
    return this.#create('security-groups', 'security_group', { name, ...attrs });
  }
  getSecurityGroup(id: string): Promise<NeutronSecurityGroup | undefined> {
    return this.#get('security-groups', 'security_group', id);
  }
  updateSecurityGroup(id: string, attrs: Body): Promise<NeutronSecurityGroup> {
    return this.#update('security-groups', 'security_group', id, attrs);
  }
  deleteSecurityGroup(id: string): Promise<void> {
    return this.#delete('security-groups', id);
  }
  /** A rule, e.g. `{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }`. */
  createSecurityGroupRule(securityGroupId: string, attrs: Body): Promise<NeutronSecurityGroupRule> {
    return this.#create('security-group-rules', 'security_group_rule', { security_group_id: securityGroupId, ...attrs });
  }
  deleteSecurityGroupRule(id: string): Promise<void> {
    return this.#delete('security-group-rules', id);
  }

  /**
   * A VM port as Nova creates it: `device_owner` `compute:nova`, bound to `host` when given
   * (Neutron then asks the mechanism drivers to bind it).
   */
  createPort(networkId: string, attrs: Body & { host?: string } = {}): Promise<NeutronPort> {
    const { host, ...rest } = attrs;
    return this.#create('ports', 'port', {
      network_id: networkId,
      device_owner: 'compute:nova',
      device_id: randomBytes(16).toString('hex'),
      ...(host === undefined ? {} : { 'binding:host_id': host }),
      ...rest,
    });
  }
  getPort(id: string): Promise<NeutronPort | undefined> {
    return this.#get('ports', 'port', id);
  }
  updatePort(id: string, attrs: Body): Promise<NeutronPort> {
    return this.#update('ports', 'port', id, attrs);
  }
  deletePort(id: string): Promise<void> {
    return this.#delete('ports', id);
  }
  async listPorts(query = ''): Promise<NeutronPort[]> {
    return (await this.request<{ ports: NeutronPort[] }>('GET', `/ports${query ? `?${query}` : ''}`)).ports;
  }

  /** A router, with a gateway on `externalNetworkId` when given. */
  createRouter(name: string, externalNetworkId?: string): Promise<NeutronRouter> {
    return this.#create('routers', 'router', {
      name, ...(externalNetworkId ? { external_gateway_info: { network_id: externalNetworkId } } : {}),
    });
  }
  async addRouterInterface(routerId: string, subnetId: string): Promise<void> {
    await this.request('PUT', `/routers/${routerId}/add_router_interface`, { subnet_id: subnetId });
  }
  async removeRouterInterface(routerId: string, subnetId: string): Promise<void> {
    await this.request('PUT', `/routers/${routerId}/remove_router_interface`, { subnet_id: subnetId });
  }
  deleteRouter(id: string): Promise<void> {
    return this.#delete('routers', id);
  }

  /** A floating IP on `externalNetworkId`, associated with `portId` when given. */
  createFloatingIp(externalNetworkId: string, portId?: string): Promise<NeutronFloatingIp> {
    return this.#create('floatingips', 'floatingip', { floating_network_id: externalNetworkId, ...(portId ? { port_id: portId } : {}) });
  }
  /** Associates (`portId`) or disassociates (null) a floating IP. */
  associateFloatingIp(id: string, portId: string | null): Promise<NeutronFloatingIp> {
    return this.#update('floatingips', 'floatingip', id, { port_id: portId });
  }
  deleteFloatingIp(id: string): Promise<void> {
    return this.#delete('floatingips', id);
  }

  async listAgents(query = ''): Promise<NeutronAgent[]> {
    return (await this.request<{ agents: NeutronAgent[] }>('GET', `/agents${query ? `?${query}` : ''}`)).agents;
  }
  /** The agent of `agentType` on `host`, if Neutron has one. */
  async getAgent(host: string, agentType: string): Promise<NeutronAgent | undefined> {
    const agents = await this.listAgents(`host=${encodeURIComponent(host)}&agent_type=${encodeURIComponent(agentType)}`);
    return agents[0];
  }
  deleteAgent(id: string): Promise<void> {
    return this.#delete('agents', id);
  }

  /**
   * A routed setup in one call: external network + subnet, tenant network + subnet, a router
   * joining them; returns the IDs for ports and floating IPs.
   */
  async routedNetwork(tenantCidr = '10.65.0.0/24', externalCidr = '172.24.4.0/24'): Promise<{
    network: NeutronNetwork; subnet: NeutronSubnet; external: NeutronNetwork; externalSubnet: NeutronSubnet; router: NeutronRouter;
  }> {
    const external = await this.createExternalNetwork();
    const externalSubnet = await this.createSubnet(external.id, externalCidr, { enable_dhcp: false });
    const network = await this.createNetwork();
    const subnet = await this.createSubnet(network.id, tenantCidr);
    const router = await this.createRouter('lab-router', external.id);
    await this.addRouterInterface(router.id, subnet.id);
    return { network, subnet, external, externalSubnet, router };
  }
}
