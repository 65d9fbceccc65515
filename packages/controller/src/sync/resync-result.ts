/**
 * The resync's summary (spec §9.1), with networking-calico's field names so that numbers and
 * tooling carry over: per phase `total_ms` and, for the three resource phases, the syncer's
 * timings and counts; `percale neutron-resync` prints it as key-sorted, indented JSON.
 * @module
 */

/** What a resync covers; no ids at all means everything (`all: true`). */
export interface ResyncScope {
  networks: string[];
  subnets: string[];
  ports: string[];
  security_groups: string[];
  include_sgs_for_ports: boolean;
}

/** One resource phase's numbers (networking-calico's `ResourceSyncer.resync` summary). */
export interface ResourcePhaseSummary {
  total_ms: number;
  /** Reading the datastore side. */
  etcd_read_ms: number;
  /** Reading Neutron (after the datastore, so concurrent writes win). */
  neutron_read_ms: number;
  /** Comparing, and the updates and deletes that found differences. */
  compare_ms: number;
  /** Creating what was missing (including re-reading those objects from Neutron) and legacy cleanup. */
  create_ms: number;
  /** Of `create_ms`, the re-read of the objects to create from Neutron (Percale's extra field). */
  neutron_reread_ms: number;
  etcd_items: number;
  neutron_items: number;
  correct: number;
  updated: number;
  deleted: number;
  created: number;
}

/** A phase that only has a duration (`expand`, `felix_config`). */
export interface PlainPhaseSummary {
  total_ms: number;
}

export interface ResyncResult {
  scope: ResyncScope & { all: boolean };
  phases: {
    expand?: PlainPhaseSummary;
    subnets?: ResourcePhaseSummary;
    policy?: ResourcePhaseSummary;
    endpoints?: ResourcePhaseSummary;
    felix_config?: PlainPhaseSummary;
  };
  started_at: string;
  finished_at: string;
  total_ms: number;
  ok: boolean;
  error: string | null;
}

/** A scope covering everything. */
export function fullScope(): ResyncScope {
  return { networks: [], subnets: [], ports: [], security_groups: [], include_sgs_for_ports: false };
}

/** True when the scope names no ids: a full resync. */
export function isFullScope(scope: ResyncScope): boolean {
  return scope.networks.length + scope.subnets.length + scope.ports.length + scope.security_groups.length === 0;
}

/** Milliseconds rounded to 0.1 ms (networking-calico prints whole ms; sub-ms phases need more). */
export function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

/** JSON with object keys sorted at every level, indented by 2: how the CLI prints a result. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}
