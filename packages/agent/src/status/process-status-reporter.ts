/**
 * `ProcessStatusReporter`: the agent's heartbeat in the datastore, as Felix writes it. Soon
 * after start and then every ReportingIntervalSecs it writes `{"time","uptime","first_update"}`
 * to `/calico/felix/v2/<region-string>/host/<hostname>/status` on a fresh lease of
 * ReportingTTLSecs (the Neutron driver reads the key's presence as liveness) and to
 * `…/last_reported_status` without a lease. Write failures are logged, never fatal.
 * @module
 */
import type { KeyValueStore } from '@percale/datastore';
import type { Logger } from '@percale/daemon';
import { activeStatusKey, lastReportedStatusKey } from './status-keys.ts';

export interface ProcessStatusReporterOptions {
  kv: KeyValueStore;
  hostname: string;
  /** OpenstackRegion ('' for none). */
  region: string;
  /** ReportingIntervalSecs; 0 disables reporting. */
  intervalSeconds: number;
  /** ReportingTTLSecs (whole seconds are granted, at least 1). */
  ttlSeconds: number;
  /** Delay before the first report (Felix: 10 s, so a crash-looping agent does not look alive). */
  firstReportDelayMs?: number;
  /** Time limit of each write (Felix: 2 s). */
  writeTimeoutMs?: number;
  /** Milliseconds since the epoch when the process started (default: from `process.uptime()`). */
  processStartMs?: number;
  now?: () => number;
  log: Logger;
}

/** The value of both heartbeat keys (Calico's `StatusReport`, members in Go order). */
export interface StatusReport {
  time: string;
  uptime: number;
  first_update: boolean;
}

const DEFAULT_FIRST_REPORT_DELAY_MS = 10_000;
const DEFAULT_WRITE_TIMEOUT_MS = 2_000;

/** RFC 3339 in UTC without fractions, as Go's `time.RFC3339` prints it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Writes the agent's heartbeat keys on a timer. */
export class ProcessStatusReporter {
  readonly #o: ProcessStatusReporterOptions;
  readonly #now: () => number;
  readonly #startMs: number;
  #timer: NodeJS.Timeout | undefined;
  #firstSent = false;
  #inFlight: Promise<void> | undefined;
  #running = false;
  /** Successful heartbeats so far. */
  reportsWritten = 0;

  constructor(options: ProcessStatusReporterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#startMs = options.processStartMs ?? this.#now() - process.uptime() * 1000;
  }

  /** Starts the timer (no-op when the interval is 0). */
  start(): void {
    if (this.#running) return;
    if (this.#o.intervalSeconds <= 0) {
      this.#o.log.info('Process status reports disabled (ReportingIntervalSecs is 0)');
      return;
    }
    this.#running = true;
    this.#schedule(this.#o.firstReportDelayMs ?? DEFAULT_FIRST_REPORT_DELAY_MS);
  }

  /** Stops reporting; the heartbeat key then expires with its lease. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#inFlight;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#inFlight = this.#report().finally(() => {
        this.#inFlight = undefined;
        if (this.#running) this.#schedule(this.#o.intervalSeconds * 1000);
      });
    }, ms);
    this.#timer.unref();
  }

  async #report(): Promise<void> {
    const now = this.#now();
    const report: StatusReport = { time: rfc3339(now), uptime: (now - this.#startMs) / 1000, first_update: !this.#firstSent };
    const value = JSON.stringify(report);
    const { kv, region, hostname, log } = this.#o;
    const ttl = Math.max(1, Math.trunc(this.#o.ttlSeconds));
    const active = activeStatusKey(region, hostname);
    try {
      await this.#withTimeout(kv.put(active, value, { ttlSeconds: ttl }), active);
      this.#firstSent = true;
      this.reportsWritten++;
    } catch (err) {
      log.warn('Failed to write status to datastore', { key: active, error: err });
    }
    const last = lastReportedStatusKey(region, hostname);
    try {
      await this.#withTimeout(kv.put(last, value), last);
    } catch (err) {
      log.warn('Failed to write status to datastore', { key: last, error: err });
    }
  }

  #withTimeout<T>(work: Promise<T>, key: string): Promise<T> {
    const ms = this.#o.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`writing ${key} took longer than ${ms} ms`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
