/**
 * `LeaderElector`: which of a region's controllers is the master (spec §9.4), by the same
 * etcd protocol as networking-calico's elector, so that Percale and Python controllers can
 * share a region. The master holds `/calico/openstack/v2/<rs>/neutron_election` =
 * `<electorName>:<pid>` on a lease it refreshes; the others watch the key and race to
 * create it when it is deleted or expires. Master-only work (status bridge, compaction)
 * follows the `leader` / `follower` events.
 *
 *   get ──missing──► become master ──► refresh every refreshSeconds ──failure──► restart
 *    │ present                           (keepAlive + put if VALUE == id)
 *    ▼
 *   stale PID on this host? ──► delete if VALUE == seen ──► watch the key ──DELETE──► become master
 *                                                            │ error / silence
 *                                                            ▼
 *                                                         restart after 1–2 s
 * @module
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import type { KeyValueStore, Lease } from '@percale/datastore';
import { abortableSleep } from '../abortable-sleep.ts';

/** The master's lease TTL, seconds (networking-calico's MASTER_TIMEOUT). */
export const DEFAULT_ELECTION_TTL_SECONDS = 60;
/** How often the master refreshes its lease and key, seconds (MASTER_REFRESH_INTERVAL). */
export const DEFAULT_ELECTION_REFRESH_SECONDS = 10;
/** The election key networking-calico's pre-region drivers watch; the master mirrors its value there. */
export const LEGACY_ELECTION_KEY = '/calico/openstack/v1/neutron_election';

/** The election key of one region (K12). */
export function electionKey(regionString: string): string {
  return `/calico/openstack/v2/${regionString}/neutron_election`;
}

export interface LeaderElectorOptions {
  kv: KeyValueStore;
  /** `no-region` or `region-<name>`: selects the region's election key. */
  regionString: string;
  /** This server's name in the election value (default the host name); must not contain ":". */
  electorName?: string;
  /** The PID in the election value (default this process's). */
  pid?: number;
  /** Lease TTL in whole seconds (default 60); more than `refreshSeconds`. */
  ttlSeconds?: number;
  /** Seconds between the master's refreshes (default 10; fractions allowed for tests). */
  refreshSeconds?: number;
  /** Whether a PID runs on this host (default: `/proc/<pid>` exists). */
  processExists?: (pid: number) => boolean;
  /** Milliseconds to wait before restarting the election after a failure (default 1000–2000, random). */
  restartDelayMs?: () => number;
  log?: Logger;
}

/** The events a `LeaderElector` emits: it starts as a follower and reports each change. */
export interface LeaderElectorEvents {
  /** This controller became the master. */
  leader: [];
  /** This controller stopped being the master (refresh failed, key lost, or stop()). */
  follower: [];
}

const MASTER_ID = /^(?<host>[^:]+):(?<pid>\d+)$/;

/** What a follower's watch of the election key ended with. */
type WatchOutcome = 'deleted' | 'restart';

/**
 * Runs this controller's side of the region's leader election.
 * @example
 * const elector = new LeaderElector({ kv: store.keyValues(), regionString: 'region-europe' });
 * elector.on('leader', () => bridge.start());
 * elector.on('follower', () => void bridge.stop());
 * elector.start();
 */
export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  /** The election value this controller writes: `<electorName>:<pid>`. */
  readonly id: string;
  readonly key: string;
  readonly #kv: KeyValueStore;
  readonly #name: string;
  readonly #ttlSeconds: number;
  readonly #refreshMs: number;
  readonly #processExists: (pid: number) => boolean;
  readonly #restartDelayMs: () => number;
  readonly #log: Logger;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #leader = false;
  /** When the master last refreshed successfully (ms, Date.now clock). */
  #refreshedAt = 0;
  /** Steps down if no refresh succeeds within the TTL (a refresh hung). */
  #deadman: NodeJS.Timeout | undefined;
  #lease: Lease | undefined;

  /** @throws {RangeError} for a refresh interval ≤ 0, a TTL ≤ the interval or a fractional TTL. @throws {TypeError} for a bad elector name. */
  constructor(options: LeaderElectorOptions) {
    super();
    const ttl = options.ttlSeconds ?? DEFAULT_ELECTION_TTL_SECONDS;
    const refresh = options.refreshSeconds ?? DEFAULT_ELECTION_REFRESH_SECONDS;
    if (!(refresh > 0)) throw new RangeError(`Cannot start the leader election: refresh interval ${refresh} s is not positive`);
    if (!Number.isInteger(ttl) || !(ttl > refresh)) {
      throw new RangeError(`Cannot start the leader election: TTL ${ttl} s must be a whole number of seconds greater than the refresh interval ${refresh} s`);
    }
    const name = options.electorName ?? hostname();
    if (name === '' || name.includes(':')) throw new TypeError(`Cannot start the leader election: elector name "${name}" must be non-empty and contain no ":"`);
    this.#kv = options.kv;
    this.#name = name;
    this.#ttlSeconds = ttl;
    this.#refreshMs = refresh * 1000;
    this.#processExists = options.processExists ?? ((pid) => existsSync(`/proc/${pid}`));
    this.#restartDelayMs = options.restartDelayMs ?? (() => 1000 + Math.random() * 1000);
    this.#log = options.log ?? SILENT_LOGGER;
    this.id = `${name}:${options.pid ?? process.pid}`;
    this.key = electionKey(options.regionString);
  }

  /** Joins the election; events follow. Starting a running elector does nothing. */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#run(this.#abort.signal);
  }

  /**
   * Leaves the election: stops refreshing or watching and, when master, deletes the key
   * (if it still holds our id) so that a standby takes over at once instead of after the TTL.
   */
  async stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#abort.abort();
    await running;
    this.#running = undefined;
  }

  /** True while this controller is the master and its last refresh is within the TTL. */
  isLeader(): boolean {
    return this.#leader && Date.now() - this.#refreshedAt < this.#ttlSeconds * 1000;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#vote(signal);
      } catch (err) {
        this.#log.warn('Leader election failed; restarting it', { key: this.key, error: describe(err) });
      }
      this.#setLeader(false);
      if (signal.aborted) break;
      const wait = this.#restartDelayMs();
      this.#log.info(`Retrying leader election in ${(wait / 1000).toFixed(1)} seconds`, { key: this.key });
      await abortableSleep(wait, signal);
    }
    await this.#stepDown();
  }

  /** One round: read the key, then become master or follow until it goes. Returns to restart. */
  async #vote(signal: AbortSignal): Promise<void> {
    const current = await this.#kv.get(this.key);
    if (signal.aborted) return;
    if (!current) {
      this.#log.debug('No master; trying to become it', { key: this.key });
      await this.#becomeMaster(signal);
      return;
    }
    this.#log.debug('Elected master', { key: this.key, master: current.value });
    if (!(await this.#clearStaleMaster(current.value))) return;
    // A stale key just deleted arrives as a DELETE after the revision we read.
    if ((await this.#watchUntilDeleted(current.modRevision, signal)) === 'restart' || signal.aborted) return;
    this.#log.info('Leader election key went away; trying to become the master', { key: this.key });
    await this.#becomeMaster(signal);
  }

  /**
   * A master on this host whose process is gone died without stepping down: delete its key
   * (only if it still holds that value) instead of waiting for the TTL. False: restart.
   */
  async #clearStaleMaster(value: string): Promise<boolean> {
    const match = MASTER_ID.exec(value);
    if (!match?.groups) {
      this.#log.warn(`Unable to parse master ID "${value}"`, { key: this.key });
      return true;
    }
    const { host, pid } = match.groups as { host: string; pid: string };
    if (host !== this.#name || this.#processExists(Number(pid))) return true;
    this.#log.warn(`Master "${value}" was on this server but its PID is not in /proc; removing its stale election key`, { key: this.key });
    try {
      if (await this.#kv.deleteIf(this.key, { value })) return true;
    } catch (err) {
      this.#log.warn('Failed to remove the stale election key of a dead master', { key: this.key, error: describe(err) });
    }
    return false;
  }

  /**
   * Watches the key after `afterRevision` until it is deleted (or expires). Refreshes
   * arrive every interval, so silence for two intervals means a broken watch: restart.
   */
  async #watchUntilDeleted(afterRevision: string, signal: AbortSignal): Promise<WatchOutcome> {
    const silenceMs = 2 * this.#refreshMs;
    let settle!: (outcome: WatchOutcome) => void;
    const settled = new Promise<WatchOutcome>((resolve) => (settle = resolve));
    let timer = setTimeout(onSilence, silenceMs);
    const log = this.#log;
    const key = this.key;
    function onSilence(): void {
      log.warn(`No news of the election key for ${silenceMs / 1000} s; restarting the election`, { key });
      settle('restart');
    }
    const watch = this.#kv.watch(this.key, {
      afterRevision,
      onEvent: (event) => {
        const eventKey = event.type === 'PUT' ? event.entry.key : event.key;
        if (eventKey !== this.key) return; // a longer key under the same prefix
        if (event.type === 'DELETE') {
          settle('deleted');
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(onSilence, silenceMs);
      },
      onError: (error) => {
        this.#log.warn('Failed to wait for a master change', { key: this.key, error: describe(error) });
        settle('restart');
      },
    });
    const onAbort = () => settle('restart');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await settled;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      await watch.stop();
    }
  }

  /** Creates the key on a fresh lease and, if that wins, refreshes it until something fails. */
  async #becomeMaster(signal: AbortSignal): Promise<void> {
    // A lease from an earlier term can only hold the legacy key by now (the election key
    // is gone, or we would not be here): drop it rather than let it linger to its TTL.
    await this.#lease?.revoke().catch(() => undefined);
    this.#lease = undefined;
    let lease: Lease;
    let created: string | undefined;
    try {
      lease = await this.#kv.grantLease(this.#ttlSeconds);
      this.#lease = lease;
      created = await this.#kv.putIf(this.key, this.id, { modRevision: '0' }, { lease });
    } catch (err) {
      this.#log.warn('Failed to become master', { key: this.key, error: describe(err) });
      return;
    }
    if (!created) {
      this.#log.info('Race: someone else beat us to be master', { key: this.key });
      this.#lease = undefined;
      await lease.revoke().catch(() => undefined);
      return;
    }
    this.#log.info(`Successfully became master - key ${this.key}, value ${this.id}`);
    this.#refreshed();
    this.#setLeader(true);
    await this.#writeLegacyKey(lease);
    while (!signal.aborted) {
      await abortableSleep(this.#refreshMs, signal);
      if (signal.aborted) return;
      try {
        if (!(await lease.keepAlive())) {
          this.#log.warn('Master lease expired; restarting the election', { key: this.key, lease: lease.id });
          return;
        }
        // Rewriting the key gives the followers' watches an event every interval.
        if ((await this.#kv.putIf(this.key, this.id, { value: this.id }, { lease })) === undefined) {
          this.#log.warn('Election key changed or deleted; restarting the election', { key: this.key });
          return;
        }
      } catch (err) {
        this.#log.warn('Failed to refresh the master role; stepping down', { key: this.key, error: describe(err) });
        return;
      }
      this.#refreshed();
      await this.#writeLegacyKey(lease);
    }
  }

  /** Mirrors the value to the legacy key on the same lease, so that pre-region drivers do not think they should win. */
  async #writeLegacyKey(lease: Lease): Promise<void> {
    try {
      await this.#kv.put(LEGACY_ELECTION_KEY, this.id, { lease });
    } catch (err) {
      this.#log.warn('Failed to write the legacy election key', { key: LEGACY_ELECTION_KEY, error: describe(err) });
    }
  }

  #refreshed(): void {
    this.#refreshedAt = Date.now();
    clearTimeout(this.#deadman);
    this.#deadman = setTimeout(() => {
      if (!this.#leader) return;
      this.#log.warn(`No successful refresh for ${this.#ttlSeconds} s: the lease has expired; no longer the master`, { key: this.key });
      this.#setLeader(false);
    }, this.#ttlSeconds * 1000);
  }

  #setLeader(leader: boolean): void {
    if (!leader) clearTimeout(this.#deadman);
    if (leader === this.#leader) return;
    this.#leader = leader;
    if (!leader) this.#log.info('No longer the master', { key: this.key });
    this.emit(leader ? 'leader' : 'follower');
  }

  /** On stop: delete the key if it is still ours, and drop our lease (and with it the legacy key). */
  async #stepDown(): Promise<void> {
    this.#setLeader(false);
    try {
      if (await this.#kv.deleteIf(this.key, { value: this.id })) this.#log.info('Stepped down as master', { key: this.key });
    } catch (err) {
      this.#log.warn('Failed to step down as master; the key will expire with its lease', { key: this.key, error: describe(err) });
    }
    const lease = this.#lease;
    this.#lease = undefined;
    await lease?.revoke().catch(() => undefined);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.message}${(err as { code?: unknown }).code ? ` (${String((err as { code?: unknown }).code)})` : ''}` : String(err);
}
