/**
 * `StatusBridge`: the master controller's link from the compute hosts' agents to Neutron
 * (spec §8.3–8.4, §9.6). It reads one region's Felix status subtree — a snapshot, then a
 * watch from the snapshot's revision — and reports each host's heartbeat as the host's
 * Neutron agent state and each OpenStack endpoint's status as its port going up or down.
 *
 *   snapshot(prefix) ──► replay (priority "snapshot") ──► reconcile vanished endpoints
 *        ▲                                                   │
 *        │ backoff                                           ▼
 *        └── compaction / watch error / 10 s of silence ◄── watch(after R) (priority "live")
 *                                                            ▲
 *                         round-trip-check key rewritten every 10/3 s, so a healthy watch
 *                         is never silent
 *
 * Only the elected master runs one; the application starts it on `leader` and stops it on
 * `follower`. Every start begins from a fresh snapshot with empty caches.
 * @module
 */
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import type { KeyValueEntry, KeyValueStore } from '@percale/datastore';
import type { NeutronAgentRpc } from '../neutron/types.ts';
import { abortableSleep } from '../abortable-sleep.ts';
import { felixStatusPrefix, parseFelixStatusKey, roundTripCheckKey } from './felix-status-keys.ts';
import { PortStatusQueue, PRIORITY } from './port-status-queue.ts';

/** networking-calico's WATCH_TIMEOUT_SECS, in ms: a watch silent this long is restarted. */
export const DEFAULT_WATCH_SILENCE_MS = 10_000;
/** How often the round-trip key is rewritten (a third of the silence timeout). */
export const DEFAULT_ROUND_TRIP_INTERVAL_MS = 10_000 / 3;
/** A heartbeat whose `time` is older than this (seconds) means we are falling behind (STALE_STATUS_WARN_SECS). */
export const STALE_STATUS_WARN_SECONDS = 300;
/** At most one stale-heartbeat warning per this many ms (STALE_STATUS_WARN_INTERVAL_SECS). */
const STALE_WARN_INTERVAL_MS = 300_000;
/** Restart backoff after a failed snapshot or a broken watch: doubles from the first to the last. */
const RESTART_BACKOFF_MS = { initial: 100, max: 5_000 } as const;

export interface StatusBridgeOptions {
  kv: KeyValueStore;
  rpc: NeutronAgentRpc;
  /** `no-region` or `region-<name>`: only this region's hosts are reported. */
  regionString: string;
  /** Concurrent port status RPCs (`num_port_status_threads`, default 4). */
  portStatusWorkers?: number;
  /** Wait before retrying a failed port status RPC (default 5 s). */
  retryDelayMs?: number;
  /** Restart the watch after this long without an event (default 10 s). */
  watchSilenceMs?: number;
  /** Rewrite the round-trip key this often (default 10/3 s). */
  roundTripIntervalMs?: number;
  /** Wall clock for heartbeat staleness and warning rate limits (default Date.now). */
  now?: () => number;
  log?: Logger;
}

/** Counters, for logs and tests. */
export interface StatusBridgeStats {
  /** Snapshots read (the first, and one per restart). */
  snapshots: number;
  heartbeatsReported: number;
  heartbeatFailures: number;
  portsReportedUp: number;
  portsReportedDown: number;
  portReportFailures: number;
}

/** Reports one region's Felix status to Neutron while this controller is the master. */
export class StatusBridge {
  readonly #kv: KeyValueStore;
  readonly #rpc: NeutronAgentRpc;
  readonly #prefix: string;
  readonly #roundTripKey: string;
  readonly #options: StatusBridgeOptions;
  readonly #silenceMs: number;
  readonly #roundTripMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #ports: PortStatusQueue;
  /** Agent state reports on their way to Neutron (stop() waits for them). */
  readonly #heartbeatsInFlight = new Set<Promise<void>>();
  #roundTripTimer: NodeJS.Timeout | undefined;
  /** Endpoints whose status key we last saw, per host (`portId` → nothing), to spot vanished ones after a snapshot. */
  #endpoints = new Map<string, Set<string>>();
  /** The heartbeat mod revision last reported per host: watch restarts replay keys, Neutron hears each once. */
  readonly #reportedRevision = new Map<string, string>();
  #replaying = false;
  #lastStaleWarning = -Infinity;
  #snapshots = 0;
  #heartbeatsReported = 0;
  #heartbeatFailures = 0;

  constructor(options: StatusBridgeOptions) {
    this.#options = options;
    this.#kv = options.kv;
    this.#rpc = options.rpc;
    this.#prefix = felixStatusPrefix(options.regionString);
    this.#roundTripKey = roundTripCheckKey(options.regionString);
    this.#silenceMs = options.watchSilenceMs ?? DEFAULT_WATCH_SILENCE_MS;
    this.#roundTripMs = options.roundTripIntervalMs ?? DEFAULT_ROUND_TRIP_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? SILENT_LOGGER;
    this.#ports = this.#newPortQueue(); // checks the options now rather than at the first start
  }

  /** Starts reporting from a fresh snapshot; starting a running bridge does nothing. */
  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#endpoints = new Map();
    this.#reportedRevision.clear();
    this.#ports = this.#newPortQueue();
    this.#roundTripTimer = setInterval(() => void this.#writeRoundTrip(), this.#roundTripMs);
    this.#log.info('Starting to report Felix status to Neutron', { prefix: this.#prefix });
    this.#running = this.#run(this.#abort.signal);
  }

  /** Stops watching and reporting; resolves once the watch is closed and running RPCs have finished. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#abort.abort();
    clearInterval(this.#roundTripTimer);
    await running;
    await Promise.all([this.#ports.stop(), ...this.#heartbeatsInFlight]);
    this.#running = undefined;
    this.#log.info('Stopped reporting Felix status to Neutron', { prefix: this.#prefix });
  }

  /** Resolves when no port status is queued, in flight or waiting for a retry (tests). */
  async idle(): Promise<void> {
    await Promise.all(this.#heartbeatsInFlight);
    await this.#ports.idle();
  }

  stats(): StatusBridgeStats {
    const ports = this.#ports.counters;
    return {
      snapshots: this.#snapshots,
      heartbeatsReported: this.#heartbeatsReported,
      heartbeatFailures: this.#heartbeatFailures,
      portsReportedUp: ports.sentUp,
      portsReportedDown: ports.sentDown,
      portReportFailures: ports.failures,
    };
  }

  #newPortQueue(): PortStatusQueue {
    return new PortStatusQueue({
      rpc: this.#rpc,
      log: this.#log,
      now: this.#now,
      ...(this.#options.portStatusWorkers !== undefined && { workers: this.#options.portStatusWorkers }),
      ...(this.#options.retryDelayMs !== undefined && { retryDelayMs: this.#options.retryDelayMs }),
    });
  }

  /** Snapshot, watch until the watch breaks, repeat; failures back off, they never end the loop. */
  async #run(signal: AbortSignal): Promise<void> {
    let backoff: number = RESTART_BACKOFF_MS.initial;
    while (!signal.aborted) {
      let healthy = false;
      try {
        const revision = await this.#snapshot(signal);
        if (signal.aborted) break;
        healthy = await this.#watch(revision, signal);
      } catch (err) {
        this.#log.warn(`Failed to read Felix status under ${this.#prefix}; retrying in ${backoff / 1000} s`, { error: err });
      }
      if (signal.aborted) break;
      if (healthy) backoff = RESTART_BACKOFF_MS.initial;
      await abortableSleep(backoff, signal);
      if (!healthy) backoff = Math.min(backoff * 2, RESTART_BACKOFF_MS.max);
    }
  }

  /** Reads the whole subtree and replays it; returns the revision to watch after. */
  async #snapshot(signal: AbortSignal): Promise<string> {
    const { entries, revision } = await this.#kv.snapshot(this.#prefix);
    if (signal.aborted) return revision;
    this.#snapshots++;
    const before = this.#endpoints;
    this.#endpoints = new Map();
    this.#replaying = true;
    try {
      for (const entry of entries) this.#onPut(entry);
    } finally {
      this.#replaying = false;
    }
    // Endpoints we knew of whose keys went while we were not watching.
    for (const [host, ports] of before) {
      const now = this.#endpoints.get(host);
      for (const portId of ports) if (!now?.has(portId)) this.#ports.update(host, portId, undefined, PRIORITY.snapshot);
    }
    this.#log.info(`Read ${entries.length} Felix status keys at revision ${revision}`, { prefix: this.#prefix });
    return revision;
  }

  /**
   * Watches after `revision` until the watch fails, falls silent or we stop. Resolves
   * whether it was healthy (delivered at least one event), which resets the backoff.
   */
  async #watch(revision: string, signal: AbortSignal): Promise<boolean> {
    let healthy = false;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const onSilence = () => {
      this.#log.warn(`No Felix status events for ${this.#silenceMs / 1000} s; restarting the watch from a new snapshot`, { prefix: this.#prefix });
      settle();
    };
    let timer = setTimeout(onSilence, this.#silenceMs);
    const watch = this.#kv.watch(this.#prefix, {
      afterRevision: revision,
      onEvent: (event) => {
        if (signal.aborted) return;
        healthy = true;
        clearTimeout(timer);
        timer = setTimeout(onSilence, this.#silenceMs);
        if (event.type === 'PUT') this.#onPut(event.entry);
        else this.#onDelete(event.key);
      },
      onError: (error) => {
        this.#log.warn('The Felix status watch failed; restarting it from a new snapshot', { prefix: this.#prefix, error });
        settle();
      },
    });
    signal.addEventListener('abort', settle, { once: true });
    void this.#writeRoundTrip();
    try {
      await settled;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', settle);
      await watch.stop();
    }
    return healthy;
  }

  #onPut(entry: KeyValueEntry): void {
    const parsed = parseFelixStatusKey(this.#prefix, entry.key);
    if (!parsed) return;
    if (parsed.kind === 'heartbeat') this.#onHeartbeat(parsed.host, entry);
    else this.#onEndpointStatus(parsed.host, parsed.portId, entry);
  }

  #onDelete(key: string): void {
    const parsed = parseFelixStatusKey(this.#prefix, key);
    if (!parsed) return;
    if (parsed.kind === 'heartbeat') {
      // Neutron notices a dead agent by its missing heartbeats; marking every port of the
      // host down here would turn an etcd outage into a storm of port updates.
      this.#log.error(`Felix on host ${parsed.host} failed to check in.`);
      this.#reportedRevision.delete(parsed.host);
      return;
    }
    this.#forgetEndpoint(parsed.host, parsed.portId);
    this.#ports.update(parsed.host, parsed.portId, undefined, this.#replaying ? PRIORITY.snapshot : PRIORITY.live);
  }

  #onHeartbeat(host: string, entry: KeyValueEntry): void {
    const report = parseObject(entry.value);
    if (!report) {
      this.#log.warn(`Bad JSON data for key ${entry.key}: ${entry.value}`);
      return;
    }
    this.#checkStale(host, report.time);
    if (this.#reportedRevision.get(host) === entry.modRevision) return;
    this.#reportedRevision.set(host, entry.modRevision);
    const startFlag = Boolean(report.first_update);
    const sent = this.#rpc.reportState(host, startFlag).then(
      () => void this.#heartbeatsReported++,
      (err: unknown) => {
        this.#heartbeatFailures++;
        // Forget the revision so that the next snapshot (or Felix's next heartbeat) reports it again.
        if (this.#reportedRevision.get(host) === entry.modRevision) this.#reportedRevision.delete(host);
        this.#log.warn(`Failed to report the agent state of host ${host} to Neutron`, { error: err });
      },
    );
    this.#heartbeatsInFlight.add(sent);
    void sent.finally(() => this.#heartbeatsInFlight.delete(sent));
  }

  #onEndpointStatus(host: string, portId: string, entry: KeyValueEntry): void {
    const priority = this.#replaying ? PRIORITY.snapshot : PRIORITY.live;
    const value = parseObject(entry.value);
    if (!value) {
      this.#log.error(`Bad JSON data for port ${portId} on host ${host}: ${entry.value}`);
      this.#forgetEndpoint(host, portId);
      this.#ports.update(host, portId, undefined, priority);
      return;
    }
    let ports = this.#endpoints.get(host);
    if (!ports) this.#endpoints.set(host, (ports = new Set()));
    ports.add(portId);
    this.#ports.update(host, portId, value.status, priority);
  }

  #forgetEndpoint(host: string, portId: string): void {
    const ports = this.#endpoints.get(host);
    if (!ports) return;
    ports.delete(portId);
    if (ports.size === 0) this.#endpoints.delete(host);
  }

  /**
   * Warns (at most once per 5 minutes) when a live heartbeat was written long ago: we are
   * processing a backlog, and Neutron sees agents come and go late. Snapshot replays are
   * old by nature and skipped.
   */
  #checkStale(host: string, time: unknown): void {
    if (this.#replaying || typeof time !== 'string' || time === '') return;
    const written = parseStatusTime(time);
    if (written === undefined) {
      this.#log.warn(`Could not parse status time ${JSON.stringify(time)} for host ${host}`);
      return;
    }
    const lagSeconds = (this.#now() - written) / 1000;
    if (lagSeconds <= STALE_STATUS_WARN_SECONDS) return;
    if (this.#now() - this.#lastStaleWarning < STALE_WARN_INTERVAL_MS) return;
    this.#lastStaleWarning = this.#now();
    this.#log.warn(
      `Processing stale Felix status update for host ${host}: the update was written ${Math.round(lagSeconds)}s ago (threshold ${STALE_STATUS_WARN_SECONDS}s). ` +
        'The status bridge is not keeping up with the rate of updates; consider raising ReportingIntervalSecs and agent_down_time in Neutron / Felix config.',
    );
  }

  /** Rewrites the round-trip key, whose only purpose is to give a healthy watch an event. */
  async #writeRoundTrip(): Promise<void> {
    try {
      await this.#kv.put(this.#roundTripKey, String(performance.now() / 1000));
    } catch (err) {
      this.#log.debug('Failed to write the round-trip check key', { key: this.#roundTripKey, error: err });
    }
  }
}

/** A JSON object, or undefined for bad JSON or any other JSON value. */
function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?<zone>Z|[+-]\d{2}:\d{2})?$/i;

/** Felix's RFC 3339 time in ms since the epoch; a time without a zone is UTC. */
export function parseStatusTime(text: string): number | undefined {
  const match = ISO_TIME.exec(text);
  if (!match) return undefined;
  const iso = text.replace(' ', 'T').toUpperCase();
  const ms = Date.parse(match.groups?.zone ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
