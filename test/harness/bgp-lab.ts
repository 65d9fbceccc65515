/**
 * A BGP lab of network namespaces for end-to-end tests and benchmarks of `percale bgp`:
 * hosts on one fabric bridge (a bridge inside its own namespace, so the root namespace is
 * untouched), VMs behind Nova-style taps (from NetnsLab), an "outside" network behind a
 * gateway host, and helpers that start `percale agent`, `percale bgp` and plain BIRD inside
 * a host, talk to BIRD's control socket and read the daemon's status file. Every name carries
 * the lab's random prefix; `destroy()` removes processes (by PID), namespaces and files.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labAvailable, NetnsLab, sh, until, type LabHost } from './netns-lab.ts';

const root = join(import.meta.dirname, '..', '..');
/** The `percale` launcher (agent and bgp daemons). */
export const PERCALE = join(root, 'node_modules/.bin/percale');

/** True when the machine can run the BGP lab: NetnsLab's needs plus BIRD 2. */
export async function bgpLabAvailable(): Promise<boolean> {
  if (!(await labAvailable())) return false;
  try {
    await sh('sh', ['-c', 'command -v bird && command -v birdc']);
    return true;
  } catch {
    return false;
  }
}

/** A host on the fabric, with its own directory for configuration, sockets and logs. */
export interface BgpLabHost extends LabHost {
  name: string;
  fabricIp6: string;
  dir: string;
}

/** A process the lab started, with the tail of its output. */
export interface LabProcess {
  child: ChildProcess;
  output(): string;
}

/** Namespaces on a fabric bridge, plus the daemons that run in them. */
export class BgpLab {
  readonly net = new NetnsLab();
  readonly prefix = this.net.prefix;
  /** Scratch directory for every host's files (on tmpfs when available). */
  readonly dir: string;
  readonly #namespaces: string[] = [];
  readonly #hosts: BgpLabHost[] = [];
  #fabric: string | undefined;
  #links = 0;

  constructor(baseDir = '/dev/shm') {
    this.dir = join(baseDir, `${this.prefix}-bgp`);
  }

  async #addNs(suffix: string): Promise<string> {
    const ns = `${this.prefix}-${suffix}`;
    await sh('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Creates the fabric: a namespace holding one bridge every host attaches to. */
  async fabric(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.#fabric = await this.#addNs('fabric');
    await sh('ip', ['-n', this.#fabric, 'link', 'add', 'br0', 'type', 'bridge']);
    // No IPv6 DAD or router solicitations on the bridge: addresses must work at once.
    await sh('ip', ['netns', 'exec', this.#fabric, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    await sh('ip', ['-n', this.#fabric, 'link', 'set', 'br0', 'up']);
  }

  /**
   * A host namespace with `eth0` on the fabric (`ip4`/24 and `ip6`/64), forwarding on, and
   * `169.254.1.1/32 dev lo` so proxy ARP answers VMs for their gateway.
   */
  async host(name: string, ip4: string, ip6: string): Promise<BgpLabHost> {
    const ns = await this.#addNs(name);
    const port = `${this.prefix.slice(3)}p${this.#links++}`;
    await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw',
      'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    await sh('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.#fabric!]);
    await sh('ip', ['-n', this.#fabric!, 'link', 'set', port, 'master', 'br0', 'up']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${ip4}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad']);
    await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', ns, 'route', 'add', '169.254.1.1/32', 'dev', 'lo', 'scope', 'link']);
    const dir = join(this.dir, name);
    await mkdir(join(dir, 'run'), { recursive: true });
    const host = { ns, name, fabricIp: ip4, fabricIp6: ip6, dir };
    this.#hosts.push(host);
    return host;
  }

  /**
   * An "outside" network behind `gateway`: a namespace at `ip`/24 whose default route points
   * at the gateway's `gatewayIp` on a second interface (`ext0`).
   */
  async outside(gateway: BgpLabHost, name: string, gatewayIp: string, ip: string): Promise<string> {
    const ns = await this.#addNs(name);
    await sh('ip', ['link', 'add', 'ext0', 'netns', gateway.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sh('ip', ['-n', gateway.ns, 'addr', 'add', `${gatewayIp}/24`, 'dev', 'ext0']);
    await sh('ip', ['-n', gateway.ns, 'link', 'set', 'ext0', 'up']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', gatewayIp]);
    return ns;
  }

  /** Starts a process in `ns` and keeps the last 20 kB of its stdout and stderr. */
  start(ns: string, args: readonly string[], env?: NodeJS.ProcessEnv): LabProcess {
    const child = this.net.start(ns, args, env);
    let out = '';
    const keep = (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return { child, output: () => out };
  }

  /**
   * Starts `percale agent` in `host` with a felix.cfg naming `nodeName`, taps `tap*` and the
   * etcd `endpoint`; resolves when its readiness endpoint answers 200.
   */
  async startAgent(host: BgpLabHost, nodeName: string, endpoint: string): Promise<LabProcess> {
    const cfg = join(host.dir, 'felix.cfg');
    await writeFile(cfg, [
      '[global]', `FelixHostname = ${nodeName}`, `EtcdEndpoints = ${endpoint}`, 'InterfacePrefix = tap',
      'RouteRefreshInterval = 5', 'InterfaceRefreshInterval = 5', 'HealthEnabled = true', 'HealthHost = 127.0.0.1',
      'LogFilePath = none', 'LogSeverityScreen = WARNING', '',
    ].join('\n'));
    const p = this.start(host.ns, [PERCALE, 'agent', '--config-file', cfg]);
    const exited = new Promise<never>((_, reject) => p.child.once('exit', (code) => reject(new Error(`agent in ${host.name} exited with ${code}: ${p.output()}`))));
    exited.catch(() => undefined);
    await Promise.race([exited, until(`agent in ${host.name} ready`, async () =>
      (await this.net.in(host.ns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9099/readiness'], 3_000)) === '200', 30_000)]);
    return p;
  }

  /** Paths `percale bgp` uses in `host`. */
  bgpPaths(host: BgpLabHost): { config: string; socket: string; status: string } {
    return { config: join(host.dir, 'bird.conf'), socket: join(host.dir, 'run', 'bird.ctl'), status: join(host.dir, 'run', 'bgp-status.json') };
  }

  /** Starts `percale bgp` in `host`; it starts and supervises its own BIRD. */
  startBgp(host: BgpLabHost, nodeName: string, endpoint: string, env: Record<string, string> = {}): LabProcess {
    const paths = this.bgpPaths(host);
    return this.start(host.ns, [PERCALE, 'bgp', '--bird-config', paths.config, '--run-dir', join(host.dir, 'run')], {
      ...process.env, NODENAME: nodeName, ETCD_ENDPOINTS: endpoint, PERCALE_BGP_LOGLEVEL: 'info', ...env,
    });
  }

  /**
   * Starts an operator-run BIRD in `host` on a bootstrap configuration (router id only), then
   * `percale bgp --bird-socket`, which must take that BIRD over by rewriting its file and
   * sending `configure`.
   */
  async startBgpWithOperatorBird(host: BgpLabHost, nodeName: string, endpoint: string, env: Record<string, string> = {}): Promise<LabProcess> {
    const paths = this.bgpPaths(host);
    await writeFile(paths.config, `router id ${host.fabricIp};\nprotocol device { }\n`);
    this.start(host.ns, ['bird', '-f', '-c', paths.config, '-s', paths.socket, '-P', join(host.dir, 'run', 'router.pid')]);
    await until(`operator BIRD in ${host.name} listening`, async () => (await sh('birdc', ['-s', paths.socket, 'show', 'status'], 3_000)).includes('up and running'), 10_000);
    return this.start(host.ns, [PERCALE, 'bgp', '--bird-socket', paths.socket, '--bird-config', paths.config, '--run-dir', join(host.dir, 'run')], {
      ...process.env, NODENAME: nodeName, ETCD_ENDPOINTS: endpoint, PERCALE_BGP_LOGLEVEL: 'info', ...env,
    });
  }

  /** Starts a plain BIRD in `host` with `config` (an operator's router); returns its socket. */
  async startBird(host: BgpLabHost, config: string): Promise<{ process: LabProcess; socket: string }> {
    const conf = join(host.dir, 'router.conf');
    const socket = join(host.dir, 'run', 'router.ctl');
    await writeFile(conf, config);
    await sh('bird', ['-p', '-c', conf]);
    const p = this.start(host.ns, ['bird', '-f', '-c', conf, '-s', socket, '-P', join(host.dir, 'run', 'router.pid')]);
    await until(`BIRD in ${host.name} listening`, async () => (await sh('birdc', ['-s', socket, 'show', 'status'], 3_000)).includes('up and running'), 10_000);
    return { process: p, socket };
  }

  /** Runs one birdc command against a control socket. */
  birdc(socket: string, ...command: string[]): Promise<string> {
    return sh('birdc', ['-s', socket, ...command], 5_000);
  }

  /** BGP sessions (name → state/info) as `show protocols` reports them. */
  async bgpSessions(socket: string): Promise<Map<string, string>> {
    const out = await this.birdc(socket, 'show', 'protocols');
    const sessions = new Map<string, string>();
    for (const line of out.split('\n')) {
      const m = /^(\S+)\s+BGP\s+\S+\s+\S+\s+(?:\d{4}-\d\d-\d\d )?\S+\s+(.*)$/.exec(line);
      if (m) sessions.set(m[1]!, m[2]!.trim());
    }
    return sessions;
  }

  /** The daemon's status file in `host`, parsed (undefined before it is written). */
  async bgpStatus(host: BgpLabHost): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(this.bgpPaths(host).status, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Kernel routes of `host` for one family as `ip -j route` reports them. */
  async routes(host: { ns: string }, family: 4 | 6 = 4): Promise<{ dst: string; gateway?: string; dev?: string; protocol?: string }[]> {
    return JSON.parse(await sh('ip', ['-n', host.ns, `-${family}`, '-j', 'route', 'show'])) as { dst: string; gateway?: string; dev?: string; protocol?: string }[];
  }

  /** Ends every process (by PID), deletes every namespace and the scratch directory; never throws. */
  async destroy(): Promise<void> {
    await this.net.destroy();
    // A daemon killed before it could stop its BIRD leaves that BIRD behind: end it by its pid file.
    for (const host of this.#hosts) {
      for (const pidFile of ['bird.pid', 'router.pid']) {
        const pid = Number((await readFile(join(host.dir, 'run', pidFile), 'utf8').catch(() => '')).trim());
        const cmdline = pid > 0 ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
        // Only if that pid is still a BIRD using this host's files (pids get reused).
        if (cmdline.startsWith('bird\0') && cmdline.includes(host.dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      }
    }
    for (const ns of this.#namespaces.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    this.#namespaces.length = 0;
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
