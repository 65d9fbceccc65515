/**
 * A lab of compute hosts and VMs built from network namespaces, for end-to-end tests of the
 * agent with real packets: hosts joined by a veth fabric with static routes, VMs attached by
 * veth pairs named like Nova taps, and bounded traffic probes. Everything it creates carries
 * the lab's random prefix and is removed by `destroy()`.
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs a command with a hard time limit and returns its stdout. */
export async function sh(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return (await exec(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL' })).stdout;
}

/** True when the machine can run the lab: root, `ip netns`, nft, etcd, ping and nc. */
export async function labAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await sh('ip', ['netns', 'list']);
    await sh('nft', ['--version']);
    await sh('etcd', ['--version']);
    await sh('sh', ['-c', 'command -v ping && command -v nc && command -v etcdctl']);
    return true;
  } catch {
    return false;
  }
}

/** Thrown by an `until` check to stop waiting at once (e.g. the awaited process died). */
export class WaitAborted extends Error {
  readonly code = 'NEUTRON_LAB_WAIT_ABORTED';
}

/**
 * Polls `check` every `everyMs` until it holds; returns the elapsed milliseconds, throws naming
 * `what` after `timeoutMs`. A check that throws counts as "not yet", except `WaitAborted`, which
 * ends the wait.
 */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 50): Promise<number> {
  const start = Date.now();
  for (;;) {
    const ok = await Promise.resolve().then(check).catch((err: unknown) => {
      if (err instanceof WaitAborted) throw err;
      return false;
    });
    if (ok) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** A VM: its namespace, its address and the tap on its host. */
export interface LabVm {
  ns: string;
  ip: string;
  /** The guest interface's MAC (the agent pins it as the neighbour entry on the tap). */
  mac: string;
  tap: string;
  host: LabHost;
}

/** A compute host: its namespace and fabric address. */
export interface LabHost {
  ns: string;
  fabricIp: string;
}

/** Nova's tap name for a port: `tap` + the first 11 characters of the port UUID. */
export function novaTapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

/** Creates and tears down namespaces and the processes started inside them. */
export class NetnsLab {
  /** Random per-run prefix of every namespace name. */
  readonly prefix = `pc-${randomBytes(3).toString('hex')}`;
  readonly #namespaces: string[] = [];
  readonly #processes = new Set<ChildProcess>();

  /** Runs a command inside a namespace (bounded). */
  in(ns: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
    return sh('ip', ['netns', 'exec', ns, ...args], timeoutMs);
  }

  /** Starts a long-running process inside a namespace; `destroy()` ends it by PID. */
  start(ns: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.#processes.add(child);
    child.once('exit', () => this.#processes.delete(child));
    return child;
  }

  /** Ends a process this lab started: SIGTERM, SIGKILL after `graceMs`; resolves with its exit code. */
  async stop(child: ChildProcess, graceMs = 5_000): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async #addNs(suffix: string): Promise<string> {
    const ns = `${this.prefix}-${suffix}`;
    await sh('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * Two hosts joined by one veth "fabric" link on 10.99.0.0/24, each with a static route to
   * the other's VM subnet. `169.254.1.1/32 dev lo` gives proxy ARP for the VMs' gateway a
   * unicast route out of another interface (the kernel only proxies then).
   */
  async hostPair(a: { name: string; vmSubnet: string }, b: { name: string; vmSubnet: string }): Promise<[LabHost, LabHost]> {
    const nsA = await this.#addNs(a.name);
    const nsB = await this.#addNs(b.name);
    await sh('ip', ['link', 'add', 'fab0', 'netns', nsA, 'type', 'veth', 'peer', 'name', 'fab0', 'netns', nsB]);
    const hosts: [LabHost, LabHost] = [{ ns: nsA, fabricIp: '10.99.0.1' }, { ns: nsB, fabricIp: '10.99.0.2' }];
    for (const [host, peer, remoteSubnet] of [[hosts[0], hosts[1], b.vmSubnet], [hosts[1], hosts[0], a.vmSubnet]] as const) {
      await sh('ip', ['-n', host.ns, 'addr', 'add', `${host.fabricIp}/24`, 'dev', 'fab0']);
      await sh('ip', ['-n', host.ns, 'link', 'set', 'fab0', 'up']);
      await sh('ip', ['-n', host.ns, 'route', 'add', remoteSubnet, 'via', peer.fabricIp, 'dev', 'fab0']);
      await sh('ip', ['-n', host.ns, 'route', 'add', '169.254.1.1/32', 'dev', 'lo', 'scope', 'link']);
    }
    return hosts;
  }

  /**
   * A VM namespace on `host`, attached by a veth whose host end is named `tap`; the guest
   * side is configured as OpenStack guests are under Calico (a /32 and a default route via
   * 169.254.1.1). The host's /32 route and sysctls are left to the agent.
   */
  async vm(host: LabHost, name: string, ip: string, tap: string): Promise<LabVm> {
    const ns = await this.#addNs(name);
    await sh('ip', ['link', 'add', tap, 'netns', host.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink']);
    await sh('ip', ['-n', host.ns, 'link', 'set', tap, 'up']);
    const [link] = JSON.parse(await sh('ip', ['-n', ns, '-j', 'link', 'show', 'eth0'])) as [{ address: string }];
    return { ns, ip, mac: link.address, tap, host };
  }

  /** True when a TCP connection from `from` to `ip:port` is accepted within `timeoutS` seconds (fractions allowed). */
  async tcpConnects(from: LabVm, ip: string, port: number, timeoutS = 2): Promise<boolean> {
    try {
      await this.in(from.ns, ['timeout', String(timeoutS), 'nc', '-z', '-w', String(Math.ceil(timeoutS)), ip, String(port)], (timeoutS + 3) * 1000);
      return true;
    } catch {
      return false;
    }
  }

  /** True when one ICMP echo from `from` to `ip` is answered within `timeoutS` seconds. */
  async pings(from: LabVm, ip: string, timeoutS = 1): Promise<boolean> {
    try {
      await this.in(from.ns, ['ping', '-n', '-c', '1', '-W', String(timeoutS), ip], (timeoutS + 3) * 1000);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends one UDP datagram from `from` (optionally from a given source address). */
  async sendUdp(from: LabVm, ip: string, port: number, payload: string, source?: string): Promise<void> {
    const args = ['nc', '-u', '-w', '1', ...(source ? ['-s', source] : []), ip, String(port)];
    await sh('sh', ['-c', `printf '%s' "$0" | ip netns exec "$@"`, payload, from.ns, ...args], 5_000);
  }

  /** Ends every process still running (by PID) and deletes every namespace; never throws. */
  async destroy(): Promise<void> {
    await Promise.all([...this.#processes].map((child) => this.stop(child, 2_000).catch(() => undefined)));
    for (const ns of this.#namespaces.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    this.#namespaces.length = 0;
  }
}
