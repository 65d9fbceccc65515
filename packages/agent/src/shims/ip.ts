/**
 * The iproute2 shim: every route, neighbour and link read or write of the host-networking
 * drivers goes through `Iproute2`, which runs `ip` (optionally inside a network namespace,
 * `ip -n <ns>`) and turns its JSON into typed records. Writes go through `ip -force -batch -`,
 * one process per apply.
 * @module
 */
import { canonicalCIDR } from '@percale/api';
import { spawnExec, type Exec, type LineHandlers, type LineStream } from './exec.ts';
import { KernelCommandError } from './kernel-command-error.ts';

export type IPFamily = 4 | 6;

/** Kernel route protocol numbers the agent names. */
export const RouteProtocol = { kernel: 2, boot: 3, static: 4 } as const;

/** iproute2's default protocol names (`/etc/iproute2/rt_protos`), for output read without `-N`. */
const PROTOCOL_NUMBERS: Record<string, number> = {
  redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};

/** Kernel route types (`RTN_*`), indexed by number, as `ip route` spells them. */
const ROUTE_TYPE_NAMES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];
/** `RTN_UNICAST`. */
export const ROUTE_TYPE_UNICAST = 1;
/** `RT_SCOPE_LINK`. */
export const SCOPE_LINK = 253;

/** One route of the main table, as `ip -N -json route show` reports it, normalised. */
export interface KernelRoute {
  family: IPFamily;
  /** Canonical CIDR (`10.65.0.2/32`, `fd00::2/128`, `0.0.0.0/0`). */
  dst: string;
  /** `RTN_*` number; 1 = unicast. */
  type: number;
  dev: string | undefined;
  protocol: number;
  scope: number;
  metric: number;
  gateway: string | undefined;
  prefsrc: string | undefined;
  multipath: boolean;
}

/** One network interface with its addresses, as `ip -json addr show` reports it. */
export interface KernelLink {
  ifindex: number;
  name: string;
  /** Administratively up (`IFF_UP`). */
  adminUp: boolean;
  /**
   * Operationally up, i.e. `IFF_RUNNING`: admin up and carrier present. iproute2 never prints
   * `RUNNING`; it prints `NO-CARRIER` exactly when a link is `UP` but not running.
   */
  operUp: boolean;
  operstate: string;
  mac: string | undefined;
  /** Addresses as `address/prefixlen`, in kernel order. */
  addrs: string[];
}

/** One IPv4 neighbour entry. */
export interface KernelNeighbour {
  ip: string;
  dev: string;
  lladdr: string | undefined;
  permanent: boolean;
}

/** What `ip -force -batch -` did: failed lines (0-based) with their messages. */
export interface BatchResult {
  failures: Map<number, string>;
  /**
   * True when `ip` stopped early (some commands, e.g. a failing `neigh del`, exit the whole
   * batch even under `-force`): the outcome of unreported lines is unknown.
   */
  aborted: boolean;
  stderr: string;
}

/** Options of `Iproute2`. */
export interface Iproute2Options {
  /** Process seam; the real `spawn` by default. */
  exec?: Exec;
  /** Run every command inside this named network namespace (`ip -n <netns>`). */
  netns?: string;
  /** The `ip` executable; `ip` on `PATH` by default. */
  binary?: string;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
};

/** Canonical CIDR of a `dst` as iproute2 prints it (`default`, bare host address, or CIDR). */
function routeDst(family: IPFamily, dst: string): string | undefined {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  return canonicalCIDR(dst);
}

/** Parses `ip -N -json -<family> route show` output. Entries it cannot read are skipped. */
export function parseRoutes(family: IPFamily, text: string): KernelRoute[] {
  const out: KernelRoute[] = [];
  for (const r of parseJsonArray(text)) {
    const dstText = str(r['dst']);
    const dst = dstText === undefined ? undefined : routeDst(family, dstText);
    if (dst === undefined) continue;
    const typeText = r['type'];
    const type = typeText === undefined ? ROUTE_TYPE_UNICAST : num(typeText) ?? ROUTE_TYPE_NAMES.indexOf(String(typeText));
    out.push({
      family,
      dst,
      type,
      dev: str(r['dev']),
      // iproute2 omits the protocol when it is `boot` and the scope when it is `universe`.
      protocol: r['protocol'] === undefined ? RouteProtocol.boot : num(r['protocol']) ?? PROTOCOL_NUMBERS[String(r['protocol'])] ?? -1,
      scope: num(r['scope']) ?? (r['scope'] === undefined ? 0 : r['scope'] === 'link' ? SCOPE_LINK : -1),
      metric: num(r['metric']) ?? 0,
      gateway: str(r['gateway']),
      prefsrc: str(r['prefsrc']),
      multipath: Array.isArray(r['nexthops']),
    });
  }
  return out;
}

/** Parses `ip -json addr show` (or `link show`) output. */
export function parseLinks(text: string): KernelLink[] {
  const out: KernelLink[] = [];
  for (const l of parseJsonArray(text)) {
    const ifindex = num(l['ifindex']);
    const name = str(l['ifname']);
    if (ifindex === undefined || name === undefined) continue;
    const flags = Array.isArray(l['flags']) ? l['flags'].map(String) : [];
    const adminUp = flags.includes('UP');
    const addrs: string[] = [];
    if (Array.isArray(l['addr_info'])) {
      for (const a of l['addr_info'] as Json[]) {
        const local = str(a['local']);
        const len = num(a['prefixlen']);
        if (local !== undefined && len !== undefined) addrs.push(`${local}/${len}`);
      }
    }
    out.push({
      ifindex,
      name,
      adminUp,
      operUp: adminUp && !flags.includes('NO-CARRIER'),
      operstate: str(l['operstate']) ?? 'UNKNOWN',
      mac: str(l['address']),
      addrs,
    });
  }
  return out;
}

/** Parses `ip -json -4 neigh show` output. */
export function parseNeighbours(text: string): KernelNeighbour[] {
  const out: KernelNeighbour[] = [];
  for (const n of parseJsonArray(text)) {
    const ip = str(n['dst']);
    const dev = str(n['dev']);
    if (ip === undefined || dev === undefined) continue;
    const state = Array.isArray(n['state']) ? n['state'].map(String) : [];
    out.push({ ip, dev, lladdr: str(n['lladdr'])?.toLowerCase(), permanent: state.includes('PERMANENT') });
  }
  return out;
}

function parseJsonArray(text: string): Json[] {
  // `ip -json` prints nothing at all (not `[]`) for some empty dumps.
  if (text.trim() === '') return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((e): e is Json => typeof e === 'object' && e !== null) : [];
}

/**
 * Reads `ip -force -batch` diagnostics: each failed command is reported as its messages followed
 * by `Command failed -:<line>`.
 */
export function parseBatchResult(exitCode: number, stderr: string): BatchResult {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed .*:(\d+)$/.exec(line);
    if (m) {
      failures.set(Number(m[1]) - 1, pending.join('; ') || 'failed');
      pending = [];
    } else if (line.trim() !== '') {
      pending.push(line.trim());
    }
  }
  const aborted = exitCode !== 0 && (exitCode !== 1 || failures.size === 0);
  return { failures, aborted, stderr };
}

/** iproute2 behind a small typed API. */
export class Iproute2 {
  readonly #exec: Exec;
  readonly #prefix: readonly string[];

  constructor(options: Iproute2Options = {}) {
    this.#exec = options.exec ?? spawnExec;
    const binary = options.binary ?? 'ip';
    this.#prefix = options.netns === undefined ? [binary] : [binary, '-n', options.netns];
  }

  /**
   * Runs `ip <args>` and returns stdout.
   * @throws {KernelCommandError} on a non-zero exit
   * @throws {ExecError} when `ip` cannot be started
   */
  async run(args: readonly string[]): Promise<string> {
    const argv = [...this.#prefix, ...args];
    const result = await this.#exec.run(argv);
    if (result.exitCode !== 0) throw new KernelCommandError(argv, result);
    return result.stdout;
  }

  /** The main table's routes of one family. */
  async listRoutes(family: IPFamily): Promise<KernelRoute[]> {
    return parseRoutes(family, await this.run(['-N', '-json', `-${family}`, 'route', 'show', 'table', 'main']));
  }

  /** Every link with its addresses. */
  async listLinks(): Promise<KernelLink[]> {
    return parseLinks(await this.run(['-json', 'addr', 'show']));
  }

  /** One link with its addresses, or undefined when no such device exists. */
  async showLink(name: string): Promise<KernelLink | undefined> {
    const argv = [...this.#prefix, '-json', 'addr', 'show', 'dev', name];
    const result = await this.#exec.run(argv);
    if (result.exitCode !== 0) {
      if (/does not exist|Cannot find device/.test(result.stderr)) return undefined;
      throw new KernelCommandError(argv, result);
    }
    return parseLinks(result.stdout).find((l) => l.name === name);
  }

  /** Permanent IPv4 neighbour entries. */
  async listPermanentNeighbours(): Promise<KernelNeighbour[]> {
    return parseNeighbours(await this.run(['-json', '-4', 'neigh', 'show', 'nud', 'permanent']));
  }

  /**
   * Runs `lines` (commands without the leading `ip`) in one `ip -force -batch -` process: a failing
   * line does not stop the others.
   */
  async batch(lines: readonly string[]): Promise<BatchResult> {
    if (lines.length === 0) return { failures: new Map(), aborted: false, stderr: '' };
    const result = await this.#exec.run([...this.#prefix, '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
    return parseBatchResult(result.exitCode, result.stderr);
  }

  /** Starts `ip -o monitor <objects>`: one line per kernel event, until stopped. */
  monitor(objects: readonly string[], handlers: LineHandlers): LineStream {
    return this.#exec.streamLines([...this.#prefix, '-o', 'monitor', ...objects], handlers);
  }
}

/** The `ip route` spelling of a route type number (`blackhole`), for delete commands. */
export function routeTypeName(type: number): string {
  return ROUTE_TYPE_NAMES[type] ?? String(type);
}
