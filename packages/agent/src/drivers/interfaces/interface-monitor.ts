/**
 * The interface monitor (Felix's `ifacemonitor`): tracks workload interfaces (`tap*`), their
 * operational state and addresses, and reports changes to the host-networking facade. Events
 * come from one long-lived `ip -o monitor link address` child, restarted if it dies; a full
 * `ip -json addr show` runs at start and every refresh interval. It is in sync after the first
 * full scan, and the dataplane must not touch the kernel before that (spec §8).
 *
 *   ip -o monitor ──line──▶ dirty names ──▶ ip -json addr show dev X ──▶ onUpdate(name, link)
 *   refresh timer / (re)start ───────────▶ ip -json addr show (all) ──┘
 *
 * Events only say *which* interface changed; its state is always re-read (level-triggered), so
 * a lost or misparsed event costs latency, never correctness.
 * @module
 */
import type { Iproute2, KernelLink } from '../../shims/ip.ts';
import type { LineStream } from '../../shims/exec.ts';
import { realTimers, type Timers } from '../../shims/timers.ts';
import { SILENT_LOG, type DriverLog } from '../routes/driver-log.ts';

/** What the monitor needs from iproute2. */
export type InterfaceSource = Pick<Iproute2, 'listLinks' | 'showLink' | 'monitor'>;

/** Options of `InterfaceMonitor`. */
export interface InterfaceMonitorOptions {
  ip: InterfaceSource;
  /** Workload interface name prefixes (`InterfacePrefix`, e.g. `['tap']`). */
  prefixes: readonly string[];
  /** Names or `/regex/`-style patterns to ignore (`InterfaceExclude`). */
  excludes?: readonly (string | RegExp)[];
  /** Full rescan period (`InterfaceRefreshInterval`); 0 disables. Default 90 s. */
  refreshIntervalMs?: number;
  /** Above this many changed interfaces, one full scan is cheaper than one query each. Default 8. */
  fullScanThreshold?: number;
  timers?: Timers;
  log?: DriverLog;
  /** Called when a tracked interface appears, changes (index, state, MAC, addresses) or goes (`undefined`). */
  onUpdate(name: string, link: KernelLink | undefined): void;
  /** Called once, after the first full scan has been reported. */
  onInSync?(): void;
}

const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A restarted monitor may have missed events before it subscribed; re-scan once it surely has. */
const SETTLE_SCAN_MS = 1_000;
const SCAN_RETRY_MS = 1_000;

/** `<ifindex>: <name>[@peer]:` or `Deleted <ifindex>: <name> inet …`: the start of link and address events. */
const EVENT_LINE = /^(?:Deleted )?(\d+): ([^\s:@]+)/;

/** An address event for an IPv6 link-local address. */
const LINK_LOCAL_ADDRESS_EVENT = /^(?:Deleted )?\d+: \S+\s+inet6 fe80:/;

/** Extracts the interface index and name from one `ip -o monitor link address` line. */
export function parseMonitorLine(line: string): { ifindex: number; name: string } | undefined {
  const m = EVENT_LINE.exec(line);
  return m ? { ifindex: Number(m[1]), name: m[2]! } : undefined;
}

function sameLink(a: KernelLink, b: KernelLink): boolean {
  return a.ifindex === b.ifindex && a.adminUp === b.adminUp && a.operUp === b.operUp && a.mac === b.mac
    && a.addrs.length === b.addrs.length && a.addrs.every((x, i) => x === b.addrs[i]);
}

/** Watches workload interfaces and reports their state. */
export class InterfaceMonitor {
  readonly #ip: InterfaceSource;
  readonly #prefixes: readonly string[];
  readonly #excludes: readonly (string | RegExp)[];
  readonly #refreshMs: number;
  readonly #threshold: number;
  readonly #timers: Timers;
  readonly #log: DriverLog;
  readonly #onUpdate: (name: string, link: KernelLink | undefined) => void;
  readonly #onInSync: (() => void) | undefined;

  readonly #links = new Map<string, KernelLink>();
  readonly #dirty = new Set<string>();
  #scanWanted = false;
  #pumping = false;
  #inSync = false;
  #running = false;
  #stream: LineStream | undefined;
  #restartDelay = RESTART_MIN_MS;
  #cancels = new Set<() => void>();
  #idle: Promise<void> = Promise.resolve();

  constructor(options: InterfaceMonitorOptions) {
    this.#ip = options.ip;
    this.#prefixes = options.prefixes;
    this.#excludes = options.excludes ?? [];
    this.#refreshMs = options.refreshIntervalMs ?? 90_000;
    this.#threshold = options.fullScanThreshold ?? 8;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? SILENT_LOG;
    this.#onUpdate = options.onUpdate;
    this.#onInSync = options.onInSync;
  }

  /** True once the first full scan has been reported. */
  get inSync(): boolean {
    return this.#inSync;
  }

  /** The tracked interfaces as last read. */
  get links(): ReadonlyMap<string, KernelLink> {
    return this.#links;
  }

  /** True for names the monitor tracks: a workload prefix and not excluded. */
  tracks(name: string): boolean {
    if (!this.#prefixes.some((p) => name.startsWith(p))) return false;
    return !this.#excludes.some((e) => (typeof e === 'string' ? e === name : e.test(name)));
  }

  /** Starts the event child and the first full scan. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startStream();
    if (this.#refreshMs > 0) this.#schedule(this.#refreshMs, () => this.#periodicRefresh());
  }

  /** Stops the child and all timers; resolves when in-flight reads have finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stream?.stop();
    this.#stream = undefined;
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
    await this.#idle;
  }

  /** Requests a full rescan now (also what the refresh timer does). */
  requestScan(): void {
    this.#scanWanted = true;
    this.#kick();
  }

  /** Resolves when no scan or query is pending: for tests and orderly shutdown. */
  settled(): Promise<void> {
    return this.#idle;
  }

  #schedule(ms: number, fn: () => void): void {
    const cancel = this.#timers.after(ms, () => {
      this.#cancels.delete(cancel);
      if (this.#running) fn();
    });
    this.#cancels.add(cancel);
  }

  #periodicRefresh(): void {
    this.requestScan();
    this.#schedule(this.#refreshMs, () => this.#periodicRefresh());
  }

  #startStream(): void {
    const startedAt = this.#timers.now();
    this.#stream = this.#ip.monitor(['link', 'address'], {
      onLine: (line) => this.#onLine(line),
      onExit: (reason) => {
        this.#stream = undefined;
        if (!this.#running) return;
        // A child that ran for a while failed for a new reason: start again quickly.
        if (this.#timers.now() - startedAt > 60_000) this.#restartDelay = RESTART_MIN_MS;
        this.#log.warn('Interface monitor process ended; restarting', { reason, delayMs: this.#restartDelay });
        const delay = this.#restartDelay;
        this.#restartDelay = Math.min(this.#restartDelay * 2, RESTART_MAX_MS);
        this.#schedule(delay, () => this.#startStream());
      },
    });
    // Events are lost while no child runs, and a fresh child may subscribe a moment after
    // starting: scan now, and once more when it has surely subscribed.
    this.requestScan();
    this.#schedule(SETTLE_SCAN_MS, () => this.requestScan());
  }

  #onLine(line: string): void {
    // Every interface that comes up gets an IPv6 link-local address from the kernel; at host
    // boot that is one event per tap, and nothing here depends on those addresses.
    if (LINK_LOCAL_ADDRESS_EVENT.test(line)) return;
    const event = parseMonitorLine(line);
    if (!event) return;
    // A rename shows up under the new name only; the old name must be re-read (and dropped) too.
    for (const [name, link] of this.#links) {
      if (link.ifindex === event.ifindex && name !== event.name) this.#dirty.add(name);
    }
    if (this.tracks(event.name)) this.#dirty.add(event.name);
    this.#kick();
  }

  #kick(): void {
    if (this.#pumping || !this.#running) return;
    this.#pumping = true;
    this.#idle = this.#pump().finally(() => { this.#pumping = false; });
  }

  async #pump(): Promise<void> {
    while (this.#running && (this.#scanWanted || this.#dirty.size > 0)) {
      if (this.#scanWanted || this.#dirty.size > this.#threshold) {
        this.#scanWanted = false;
        await this.#fullScan();
      } else {
        const names = [...this.#dirty];
        this.#dirty.clear();
        for (const name of names) await this.#query(name);
      }
    }
  }

  async #fullScan(): Promise<void> {
    // Names that change while the scan runs stay dirty and are re-read after it; the scan's
    // possibly older view of them is not reported.
    this.#dirty.clear();
    let links;
    try {
      links = await this.#ip.listLinks();
    } catch (err) {
      this.#log.error('Cannot list interfaces; retrying', { error: (err as Error).message });
      this.#schedule(SCAN_RETRY_MS, () => this.requestScan());
      return;
    }
    if (!this.#running) return;
    const seen = new Set<string>();
    for (const link of links) {
      if (!this.tracks(link.name)) continue;
      seen.add(link.name);
      if (!this.#dirty.has(link.name)) this.#report(link.name, link);
    }
    for (const name of [...this.#links.keys()]) {
      if (!seen.has(name) && !this.#dirty.has(name)) this.#report(name, undefined);
    }
    if (!this.#inSync) {
      this.#inSync = true;
      this.#log.info('Interface monitor in sync', { interfaces: this.#links.size });
      this.#onInSync?.();
    }
  }

  async #query(name: string): Promise<void> {
    let link;
    try {
      link = await this.#ip.showLink(name);
    } catch (err) {
      this.#log.warn('Cannot read interface; will rescan', { interface: name, error: (err as Error).message });
      this.#schedule(SCAN_RETRY_MS, () => this.requestScan());
      return;
    }
    if (!this.#running || this.#dirty.has(name)) return;
    this.#report(name, link);
  }

  #report(name: string, link: KernelLink | undefined): void {
    const old = this.#links.get(name);
    if (link === undefined) {
      if (old === undefined) return;
      this.#links.delete(name);
    } else {
      if (old !== undefined && sameLink(old, link)) return;
      this.#links.set(name, link);
    }
    this.#onUpdate(name, link);
  }
}
