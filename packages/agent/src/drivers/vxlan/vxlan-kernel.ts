/**
 * The kernel I/O of the VXLAN driver: reads the `vxlan.calico` device (with its VXLAN
 * parameters), the links that may be its parent, the main table's routes, the device's
 * permanent neighbours and FDB entries, and writes batches with `ip -force -batch -` and
 * `bridge -force -batch -` (optionally inside a named network namespace).
 * @module
 */
import { parseBatchResult, parseRoutes, type BatchResult, type KernelRoute } from '../../shims/ip.ts';
import { spawnExec, type Exec } from '../../shims/exec.ts';
import { KernelCommandError } from '../../shims/kernel-command-error.ts';

/** A link with its MTU, MAC and addresses (`address/prefixlen`). */
export interface VxlanLink {
  name: string;
  mtu: number;
  mac: string | undefined;
  adminUp: boolean;
  addrs: string[];
  /** `linkinfo.info_kind` (`vxlan` for a VXLAN device). */
  kind: string | undefined;
  /** VXLAN parameters when `kind` is `vxlan`. */
  vxlan?: { vni: number; port: number; local: string | undefined; parent: string | undefined; learning: boolean };
}

/** A permanent neighbour entry or an FDB entry of the device. */
export interface VxlanNeighbour {
  ip: string;
  mac: string;
}

/** An FDB entry of the device: MAC → remote VTEP address. */
export interface VxlanFdbEntry {
  mac: string;
  dst: string | undefined;
}

/** What the VXLAN driver needs from the kernel. */
export interface VxlanKernel {
  /** Every link (to find the parent by address); with `name`, just that one (or nothing). */
  links(name?: string): Promise<VxlanLink[]>;
  /** The main table's IPv4 routes. */
  routes(): Promise<KernelRoute[]>;
  /** Permanent neighbour entries on `dev`. */
  neighbours(dev: string): Promise<VxlanNeighbour[]>;
  fdb(dev: string): Promise<VxlanFdbEntry[]>;
  /** `ip -force -batch -`. */
  ip(lines: readonly string[]): Promise<BatchResult>;
  /** `bridge -force -batch -`. */
  bridge(lines: readonly string[]): Promise<BatchResult>;
}

type Json = Record<string, unknown>;

function jsonArray(text: string): Json[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const v: unknown = JSON.parse(trimmed);
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Json[]) : [];
}

/** Parses `ip -json -details addr show`. */
export function parseVxlanLinks(text: string): VxlanLink[] {
  return jsonArray(text).map((l) => {
    const info = l.linkinfo as Json | undefined;
    const data = info?.info_data as Json | undefined;
    const kind = typeof info?.info_kind === 'string' ? info.info_kind : undefined;
    const flags = Array.isArray(l.flags) ? l.flags : [];
    const addrs = (Array.isArray(l.addr_info) ? (l.addr_info as Json[]) : [])
      .filter((a) => a.family === 'inet' || a.family === 'inet6')
      .map((a) => `${String(a.local)}/${String(a.prefixlen)}`);
    const link: VxlanLink = {
      name: String(l.ifname),
      mtu: typeof l.mtu === 'number' ? l.mtu : 0,
      mac: typeof l.address === 'string' ? l.address.toLowerCase() : undefined,
      adminUp: flags.includes('UP'),
      addrs,
      kind,
    };
    if (kind === 'vxlan' && data) {
      link.vxlan = {
        vni: Number(data.id),
        port: Number(data.port),
        local: typeof data.local === 'string' ? data.local : undefined,
        parent: typeof data.link === 'string' ? data.link : undefined,
        learning: data.learning === true,
      };
    }
    return link;
  });
}

/** `Exec`-backed `VxlanKernel`. */
export class VxlanKernelTools implements VxlanKernel {
  readonly #exec: Exec;
  readonly #ip: readonly string[];
  readonly #bridge: readonly string[];

  constructor(options: { exec?: Exec; netns?: string } = {}) {
    this.#exec = options.exec ?? spawnExec;
    const ns = options.netns === undefined ? [] : ['-n', options.netns];
    this.#ip = ['ip', ...ns];
    this.#bridge = ['bridge', ...ns];
  }

  async #run(argv: readonly string[], tolerateMissing = false): Promise<string> {
    const result = await this.#exec.run(argv);
    if (result.exitCode === 0) return result.stdout;
    if (tolerateMissing && /does not exist|Cannot find device/.test(result.stderr)) return '';
    throw new KernelCommandError(argv, result);
  }

  async links(name?: string): Promise<VxlanLink[]> {
    return parseVxlanLinks(await this.#run([...this.#ip, '-json', '-details', 'addr', 'show', ...(name ? ['dev', name] : [])], true));
  }

  async routes(): Promise<KernelRoute[]> {
    return parseRoutes(4, await this.#run([...this.#ip, '-N', '-json', '-4', 'route', 'show', 'table', 'main']));
  }

  async neighbours(dev: string): Promise<VxlanNeighbour[]> {
    const text = await this.#run([...this.#ip, '-json', '-4', 'neigh', 'show', 'dev', dev, 'nud', 'permanent'], true);
    return jsonArray(text)
      .filter((n) => typeof n.dst === 'string' && typeof n.lladdr === 'string')
      .map((n) => ({ ip: n.dst as string, mac: (n.lladdr as string).toLowerCase() }));
  }

  async fdb(dev: string): Promise<VxlanFdbEntry[]> {
    const text = await this.#run([...this.#bridge, '-json', 'fdb', 'show', 'dev', dev], true);
    return jsonArray(text)
      .filter((e) => typeof e.mac === 'string')
      .map((e) => ({ mac: (e.mac as string).toLowerCase(), dst: typeof e.dst === 'string' ? e.dst : undefined }));
  }

  ip(lines: readonly string[]): Promise<BatchResult> {
    return this.#batch(this.#ip, lines);
  }

  bridge(lines: readonly string[]): Promise<BatchResult> {
    return this.#batch(this.#bridge, lines);
  }

  async #batch(prefix: readonly string[], lines: readonly string[]): Promise<BatchResult> {
    if (lines.length === 0) return { failures: new Map(), aborted: false, stderr: '' };
    const result = await this.#exec.run([...prefix, '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
    return parseBatchResult(result.exitCode, result.stderr);
  }
}
