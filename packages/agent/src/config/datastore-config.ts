/**
 * Turns the datastore's configuration resources into Felix's raw `name → value` maps, one
 * per precedence level: FelixConfiguration `node.<hostname>` (per host), the oldest
 * FelixConfiguration whose `nodeSelector` matches this host's Node (per selector), and
 * FelixConfiguration `default` plus ClusterInformation `default` (global). Field names and
 * value formats follow Calico's config update processor (`confignamev1`, durations in seconds).
 * @module
 */
import { FELIX_FIELDS, tryParseSelector, type Resource } from '@percale/api';

/** Raw values from the datastore, by precedence level (highest first). */
export interface DatastoreConfigSources {
  perHost: Record<string, string>;
  perSelector: Record<string, string>;
  global: Record<string, string>;
  /** ClusterInformation `default` says the datastore is initialised (`datastoreReady: true`). */
  datastoreReady: boolean;
}

/** FelixConfiguration fields whose Felix name is not the capitalised JSON name (`confignamev1`). */
const V1_NAMES: Readonly<Record<string, string>> = {
  iptablesPostWriteCheckInterval: 'IptablesPostWriteCheckIntervalSecs',
  iptablesLockProbeInterval: 'IptablesLockProbeIntervalMillis',
  netlinkTimeout: 'NetlinkTimeoutSecs',
  ipipEnabled: 'IpInIpEnabled',
  ipipMTU: 'IpInIpMtu',
  reportingInterval: 'ReportingIntervalSecs',
  reportingTTL: 'ReportingTTLSecs',
  endpointReportingDelay: 'EndpointReportingDelaySecs',
  usageReportingInitialDelay: 'UsageReportingInitialDelaySecs',
  usageReportingInterval: 'UsageReportingIntervalSecs',
};
/** Fields that are not configuration (`confignamev1:"-"`). */
const NOT_CONFIG = new Set(['nodeSelector']);
/** Duration fields Felix reads in milliseconds rather than seconds (`configv1timescale`). */
const MILLISECOND_FIELDS = new Set(['iptablesLockProbeInterval']);
/** Annotations that set any parameter by its Felix name, over the spec. */
const ANNOTATION_PREFIX = 'config.projectcalico.org/';

const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go duration string (`90s`, `1m30s`, `500ms`, `0`); undefined when malformed. */
export function goDurationSeconds(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(text)!;
  if (m[2] === '0') return 0;
  const parts = [...m[2]!.matchAll(/(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== m[2] || parts.some((p) => p[1] === '' || p[1] === '.')) return undefined;
  const total = parts.reduce((sum, p) => sum + Number(p[1]) * GO_DURATION_UNITS[p[2]!]!, 0);
  return m[1] === '-' ? -total : total;
}

/** FelixConfigurationSpec fields of Go type `metav1.Duration`. */
const DURATION_FIELDS = new Set(FELIX_FIELDS.filter((f) => f.go.endsWith('metav1.Duration')).map((f) => f.json));

/** One spec value in Felix's raw form, or undefined when it contributes nothing. */
function rawValue(field: string, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (DURATION_FIELDS.has(field)) {
      const s = goDurationSeconds(value);
      if (s !== undefined) return String(MILLISECOND_FIELDS.has(field) ? s * 1000 : s);
    }
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return field.startsWith('failsafe') ? 'none' : undefined;
    if (value.every((v) => typeof v === 'string')) return value.join(',');
    if (field === 'healthTimeoutOverrides') return value.map((v: { name?: string; timeout?: string }) => `${v.name}=${v.timeout}`).join(',');
    if (field === 'routeTableRanges') return value.map((v: { min?: number; max?: number }) => `${v.min}-${v.max}`).join(',');
    if (field.startsWith('failsafe')) {
      return value
        .map((v: { protocol?: string; net?: string; port?: number }) => {
          const proto = (v.protocol ?? 'tcp').toLowerCase();
          if (!v.net) return `${proto}:${v.port}`;
          return v.net.includes(':') ? `${proto}:[${v.net}]:${v.port}` : `${proto}:${v.net}:${v.port}`;
        })
        .join(',');
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (field === 'routeTableRange') return `${obj.min}-${obj.max}`;
    if (Object.values(obj).every((v) => typeof v === 'string')) return Object.entries(obj).map(([k, v]) => `${k}=${v as string},`).join('');
  }
  return undefined;
}

/** Felix's raw values from one FelixConfiguration: spec fields, then `config.projectcalico.org/*` annotations. */
export function felixConfigurationValues(resource: Resource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(resource.spec ?? {})) {
    if (NOT_CONFIG.has(field)) continue;
    const raw = rawValue(field, value);
    if (raw === undefined) continue;
    out[V1_NAMES[field] ?? field[0]!.toUpperCase() + field.slice(1)] = raw;
  }
  for (const [k, v] of Object.entries(resource.metadata.annotations ?? {})) {
    if (k.startsWith(ANNOTATION_PREFIX) && k.length > ANNOTATION_PREFIX.length) out[k.slice(ANNOTATION_PREFIX.length)] = v;
  }
  return out;
}

/** Felix's raw values from ClusterInformation `default` (ClusterGUID, ClusterType, CalicoVersion, Variant). */
export function clusterInformationValues(resource: Resource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(resource.spec ?? {})) {
    if (field === 'datastoreReady') continue;
    const raw = rawValue(field, value);
    if (raw !== undefined) out[field === 'clusterGUID' ? 'ClusterGUID' : field[0]!.toUpperCase() + field.slice(1)] = raw;
  }
  return out;
}

/** The datastore inputs of the agent's configuration. */
export interface DatastoreConfigInputs {
  hostname: string;
  felixConfigurations: readonly Resource[];
  clusterInformation?: Resource;
  /** This host's Node (its labels select the per-selector FelixConfiguration). */
  node?: Resource;
}

/** Sorts the datastore's configuration resources into Felix's precedence levels. */
export function datastoreConfigSources(inputs: DatastoreConfigInputs): DatastoreConfigSources {
  let global: Record<string, string> = {};
  let perHost: Record<string, string> = {};
  const scoped: Resource[] = [];
  for (const fc of inputs.felixConfigurations) {
    const name = fc.metadata.name ?? '';
    if (name === 'default') global = felixConfigurationValues(fc);
    else if (name === `node.${inputs.hostname}`) perHost = felixConfigurationValues(fc);
    else if (!name.startsWith('node.')) scoped.push(fc);
  }
  const ci = inputs.clusterInformation;
  if (ci?.metadata.name === 'default') global = { ...clusterInformationValues(ci), ...global };
  const labels = inputs.node?.metadata.labels ?? {};
  const matching = inputs.node
    ? scoped.filter((fc) => {
        const text = (fc.spec as { nodeSelector?: unknown } | undefined)?.nodeSelector;
        return typeof text === 'string' && text !== '' && (tryParseSelector(text)?.matches(labels) ?? false);
      })
    : [];
  // Only the oldest matching resource contributes (Calico: creation time, then name).
  matching.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const perSelector = matching[0] ? felixConfigurationValues(matching[0]) : {};
  const ready = (ci?.spec as { datastoreReady?: unknown } | undefined)?.datastoreReady === true;
  return { perHost, perSelector, global, datastoreReady: ready };
}
