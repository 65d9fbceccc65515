/**
 * `HealthAggregator`: Felix's health model (`libcalico-go/lib/health`). Components register
 * what they report (liveness, readiness) and a timeout; the agent is live when every
 * liveness reporter has said live within its timeout, ready likewise. The summary carries
 * Felix's per-component table, which `/liveness` and `/readiness` return as their body.
 * @module
 */

/** What a component says about itself. */
export interface HealthReport {
  live: boolean;
  ready: boolean;
  detail?: string;
}

/** Felix's component names, for operators who know them. */
export const FELIX_STARTUP = 'FelixStartup';
export const CALCULATION_GRAPH = 'CalculationGraph';
export const DATAPLANE_MAIN_LOOP = 'InternalDataplaneMainLoop';

interface ReporterState {
  name: string;
  reportsLive: boolean;
  reportsReady: boolean;
  timeoutMs: number;
  latest: HealthReport;
  at: number;
}

export interface HealthSummary {
  live: boolean;
  ready: boolean;
  /** The component table (empty when there are no reporters). */
  detail: string;
}

/** Go's `time.Duration.String()` for whole-millisecond durations: `30s`, `1m30s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = +(totalS % 60).toFixed(3);
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** Aggregates component health reports. */
export class HealthAggregator {
  readonly #reporters = new Map<string, ReporterState>();
  readonly #now: () => number;
  #overrides: Readonly<Record<string, number>> = {};

  /** @param now monotonic milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * Registers a component; it starts out live and not ready. A timeout of 0 means reports
   * never go stale.
   */
  registerReporter(name: string, reports: { live: boolean; ready: boolean }, timeoutMs: number): void {
    this.#reporters.set(name, { name, reportsLive: reports.live, reportsReady: reports.ready, timeoutMs, latest: { live: true, ready: false }, at: this.#now() });
  }

  /** Records a component's current health. @throws {Error} for an unregistered name (a bug). */
  report(name: string, report: HealthReport): void {
    const r = this.#reporters.get(name);
    if (!r) throw new Error(`Health reporter "${name}" was never registered`);
    r.latest = { ...report };
    r.at = this.#now();
  }

  /** HealthTimeoutOverrides: component name → timeout in seconds. */
  setTimeoutOverrides(overrides: Readonly<Record<string, number>>): void {
    this.#overrides = { ...overrides };
  }

  summary(): HealthSummary {
    let live = true;
    let ready = true;
    const rows: string[][] = [];
    const now = this.#now();
    for (const r of [...this.#reporters.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const override = this.#overrides[r.name];
      const timeoutMs = override === undefined ? r.timeoutMs : override * 1000;
      const timedOut = timeoutMs !== 0 && now - r.at > timeoutMs;
      let liveness = '-';
      if (r.reportsLive) {
        liveness = timedOut ? 'timed out' : r.latest.live ? 'reporting live' : 'reporting non-live';
        if (timedOut || !r.latest.live) live = false;
      }
      let readiness = '-';
      if (r.reportsReady) {
        readiness = timedOut ? 'timed out' : r.latest.ready ? 'reporting ready' : 'reporting non-ready';
        if (timedOut || !r.latest.ready) ready = false;
      }
      rows.push([r.name, (timeoutMs === 0 ? '-' : goDuration(timeoutMs)) + (override === undefined ? '' : ' (override)'), liveness, readiness, r.latest.detail ?? '']);
    }
    return { live, ready, detail: rows.length === 0 ? '' : renderTable(['COMPONENT', 'TIMEOUT', 'LIVENESS', 'READINESS', 'DETAIL'], rows) };
  }
}

/** A boxed table like the one Felix's health endpoint prints. */
function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [rule, line(header), rule, ...rows.map(line), rule].join('\n');
}
