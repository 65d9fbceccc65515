/**
 * Test doubles for the host-networking drivers: an in-memory kernel that answers the route,
 * neighbour and link reads and interprets the `ip -batch` lines the route table writes (with
 * iproute2's error texts), and a manual clock. Tests only.
 * @module
 */
import type { BatchResult, IPFamily, KernelLink, KernelNeighbour, KernelRoute } from '../../../shims/ip.ts';
import type { LineHandlers, LineStream } from '../../../shims/exec.ts';
import type { SysctlSetting, Sysctls } from '../../../shims/sysctl.ts';
import type { Timers } from '../../../shims/timers.ts';

/** A kernel route in test shorthand; omitted fields get the kernel's defaults. */
export function kernelRoute(dst: string, fields: Partial<KernelRoute> = {}): KernelRoute {
  const family = dst.includes(':') ? 6 : 4;
  return {
    family, dst, type: 1, dev: undefined, protocol: 3, scope: 0, metric: 0,
    gateway: undefined, prefsrc: undefined, multipath: false, ...fields,
  };
}

/** A link in test shorthand. */
export function kernelLink(name: string, ifindex: number, up = true, addrs: string[] = []): KernelLink {
  return { ifindex, name, adminUp: up, operUp: up, operstate: up ? 'UP' : 'DOWN', mac: '02:00:00:00:00:01', addrs };
}

/** An in-memory main table, neighbour table and link list. */
export class FakeKernel {
  routes: KernelRoute[] = [];
  neighbours: KernelNeighbour[] = [];
  links = new Map<string, KernelLink>();
  /** Every batch written, as its lines. */
  readonly batches: string[][] = [];
  /** Read calls, by kind. */
  readonly reads = { routes: 0, neighbours: 0, links: 0, link: 0 };
  /** Lines (exact text) that fail with the given message instead of running. */
  readonly failLines = new Map<string, string>();
  /** When set, the next batch stops after this many lines, like `ip` exiting mid-batch. */
  abortAfter: number | undefined;
  monitorHandlers: LineHandlers | undefined;
  monitorStarts = 0;

  addLink(link: KernelLink): void {
    this.links.set(link.name, link);
  }

  /** Removes a link and, as the kernel does, its routes and neighbours. */
  deleteLink(name: string): void {
    this.links.delete(name);
    this.routes = this.routes.filter((r) => r.dev !== name);
    this.neighbours = this.neighbours.filter((n) => n.dev !== name);
  }

  route(dst: string, metric?: number): KernelRoute | undefined {
    return this.routes.find((r) => r.dst === dst && (metric === undefined || r.metric === metric));
  }

  async listRoutes(family: IPFamily): Promise<KernelRoute[]> {
    this.reads.routes++;
    return this.routes.filter((r) => r.family === family).map((r) => ({ ...r }));
  }

  async listPermanentNeighbours(): Promise<KernelNeighbour[]> {
    this.reads.neighbours++;
    return this.neighbours.filter((n) => n.permanent).map((n) => ({ ...n }));
  }

  async listLinks(): Promise<KernelLink[]> {
    this.reads.links++;
    return [...this.links.values()].map((l) => ({ ...l, addrs: [...l.addrs] }));
  }

  async showLink(name: string): Promise<KernelLink | undefined> {
    this.reads.link++;
    const l = this.links.get(name);
    return l && { ...l, addrs: [...l.addrs] };
  }

  monitor(_objects: readonly string[], handlers: LineHandlers): LineStream {
    this.monitorHandlers = handlers;
    this.monitorStarts++;
    return { stop: () => { if (this.monitorHandlers === handlers) this.monitorHandlers = undefined; } };
  }

  async batch(lines: readonly string[]): Promise<BatchResult> {
    this.batches.push([...lines]);
    const failures = new Map<number, string>();
    const limit = this.abortAfter ?? Infinity;
    this.abortAfter = undefined;
    for (const [i, line] of lines.entries()) {
      if (i >= limit) return { failures, aborted: true, stderr: 'RTNETLINK answers: Invalid argument' };
      const injected = this.failLines.get(line);
      const error = injected ?? this.#exec(line);
      if (error !== undefined) failures.set(i, error);
    }
    return { failures, aborted: false, stderr: '' };
  }

  #exec(line: string): string | undefined {
    const w = line.split(' ');
    const arg = (name: string) => { const i = w.indexOf(name); return i < 0 ? undefined : w[i + 1]; };
    const dev = arg('dev');
    if (dev !== undefined && !this.links.has(dev)) return `Cannot find device "${dev}"`;
    if (w[0] === 'route' && w[1] === 'replace') {
      const dst = w[2]!;
      if (!this.links.get(dev!)!.adminUp) return 'Error: Device for nexthop is not up.';
      const metric = Number(arg('metric') ?? 0);
      const family = dst.includes(':') ? 6 : 4;
      this.routes = this.routes.filter((r) => !(r.dst === dst && r.metric === metric));
      this.routes.push(kernelRoute(dst, {
        dev, metric, protocol: Number(arg('proto')), scope: arg('scope') === 'link' && family === 4 ? 253 : 0, prefsrc: arg('src'),
      }));
      return undefined;
    }
    if (w[0] === 'route' && w[1] === 'del') {
      const dst = /^\d|:/.test(w[2]!) ? w[2]! : w[3]!;
      const metric = Number(arg('metric') ?? 0);
      const i = this.routes.findIndex((r) => r.dst === dst && r.metric === metric && (dev === undefined || r.dev === dev));
      if (i < 0) return 'RTNETLINK answers: No such process';
      this.routes.splice(i, 1);
      return undefined;
    }
    if (w[0] === 'neigh' && w[1] === 'replace') {
      const ip = w[2]!;
      this.neighbours = this.neighbours.filter((n) => !(n.ip === ip && n.dev === dev));
      this.neighbours.push({ ip, dev: dev!, lladdr: arg('lladdr'), permanent: true });
      return undefined;
    }
    if (w[0] === 'neigh' && w[1] === 'flush') {
      const ip = arg('to');
      this.neighbours = this.neighbours.filter((n) => !(n.ip === ip && n.dev === dev && n.permanent));
      return undefined;
    }
    return `Object "${w[0]}" is unknown, try "ip help".`;
  }
}

/** A clock that moves only when told to, with timers that fire as it passes them. */
export class FakeTimers implements Timers {
  #now = 0;
  #timers: { at: number; fn: () => void; seq: number }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    const entry = { at: this.#now + ms, fn, seq: this.#seq++ };
    this.#timers.push(entry);
    return () => { this.#timers = this.#timers.filter((t) => t !== entry); };
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}

/** Sysctls in a map; keys in `missing` fail like absent `/proc/sys` files. */
export class MemorySysctls implements Sysctls {
  readonly values = new Map<string, string>();
  readonly missing = new Set<string>();
  readonly writes: SysctlSetting[][] = [];

  async write(settings: readonly SysctlSetting[]): Promise<Map<string, string>> {
    this.writes.push([...settings]);
    const failures = new Map<string, string>();
    for (const s of settings) {
      if (this.missing.has(s.key)) failures.set(s.key, 'ENOENT');
      else this.values.set(s.key, s.value);
    }
    return failures;
  }

  async read(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
}
