/**
 * FelixConfiguration and ClusterInformation specs as Felix config parameters: the names of
 * `felix.cfg` and the string values Calico's config update processor produces (agent-dataplane
 * §2.1): a field's Go name unless the API declares a v1 name, durations in seconds (or
 * milliseconds), lists comma-joined, and `config.projectcalico.org/<Name>` annotations as
 * overrides. Names are case-insensitive to Felix; these are its canonical spellings.
 * @module
 */
import { FELIX_FIELDS, type Resource } from '@percale/api';

/**
 * JSON field → Felix parameter name where that is not the JSON name with its first letter
 * capitalised (`confignamev1` tags and Go field names in Calico's felixconfig.go at 87c15906); `-` means
 * "not a parameter".
 */
const NAMES: Readonly<Record<string, string>> = {
  nodeSelector: '-',
  iptablesPostWriteCheckInterval: 'IptablesPostWriteCheckIntervalSecs',
  iptablesLockProbeInterval: 'IptablesLockProbeIntervalMillis',
  xdpRefreshInterval: 'XDPRefreshInterval',
  netlinkTimeout: 'NetlinkTimeoutSecs',
  ipipEnabled: 'IpInIpEnabled',
  ipipMTU: 'IpInIpMtu',
  vxlanEnabled: 'VXLANEnabled',
  vxlanMTU: 'VXLANMTU',
  vxlanMTUV6: 'VXLANMTUV6',
  vxlanPort: 'VXLANPort',
  vxlanVNI: 'VXLANVNI',
  reportingInterval: 'ReportingIntervalSecs',
  reportingTTL: 'ReportingTTLSecs',
  endpointReportingDelay: 'EndpointReportingDelaySecs',
  usageReportingInitialDelay: 'UsageReportingInitialDelaySecs',
  usageReportingInterval: 'UsageReportingIntervalSecs',
  natPortRange: 'NATPortRange',
  natOutgoingAddress: 'NATOutgoingAddress',
  natOutgoingExclusions: 'NATOutgoingExclusions',
  ipForwarding: 'IPForwarding',
  externalNodesList: 'ExternalNodesCIDRList',
  xdpEnabled: 'XDPEnabled',
  nftablesMode: 'NFTablesMode',
  nftablesFlowTableOffload: 'NFTablesFlowTableOffload',
  nftablesFlowTableDataIfacePattern: 'NFTablesFlowTableDataIfacePattern',
  bpfEnabled: 'BPFEnabled',
  bpfOverlayHostSourceIP: 'BPFOverlayHostSourceIP',
  bpfDisableUnprivileged: 'BPFDisableUnprivileged',
  bpfJITHardening: 'BPFJITHardening',
  bpfLogLevel: 'BPFLogLevel',
  bpfConntrackLogLevel: 'BPFConntrackLogLevel',
  bpfConntrackMode: 'BPFConntrackCleanupMode',
  bpfConntrackTimeouts: 'BPFConntrackTimeouts',
  bpfIPFragTimeout: 'BPFIPFragTimeout',
  bpfLogFilters: 'BPFLogFilters',
  bpfCTLBLogFilter: 'BPFCTLBLogFilter',
  bpfDataIfacePattern: 'BPFDataIfacePattern',
  bpfL3IfacePattern: 'BPFL3IfacePattern',
  bpfConnectTimeLoadBalancingEnabled: 'BPFConnectTimeLoadBalancingEnabled',
  bpfConnectTimeLoadBalancing: 'BPFConnectTimeLoadBalancing',
  bpfHostNetworkedNATWithoutCTLB: 'BPFHostNetworkedNATWithoutCTLB',
  bpfExternalServiceMode: 'BPFExternalServiceMode',
  bpfDSROptoutCIDRs: 'BPFDSROptoutCIDRs',
  bpfExtToServiceConnmark: 'BPFExtToServiceConnmark',
  bpfKubeProxyIptablesCleanupEnabled: 'BPFKubeProxyIptablesCleanupEnabled',
  bpfKubeProxyMinSyncPeriod: 'BPFKubeProxyMinSyncPeriod',
  bpfKubeProxyHealthzPort: 'BPFKubeProxyHealthzPort',
  bpfPSNATPorts: 'BPFPSNATPorts',
  bpfMapSizeNATFrontend: 'BPFMapSizeNATFrontend',
  bpfMapSizeNATBackend: 'BPFMapSizeNATBackend',
  bpfMapSizeNATAffinity: 'BPFMapSizeNATAffinity',
  bpfMapSizeRoute: 'BPFMapSizeRoute',
  bpfMapSizeConntrack: 'BPFMapSizeConntrack',
  bpfMapSizePerCpuConntrack: 'BPFMapSizePerCPUConntrack',
  bpfMapSizeConntrackScaling: 'BPFMapSizeConntrackScaling',
  bpfMapSizeConntrackCleanupQueue: 'BPFMapSizeConntrackCleanupQueue',
  bpfMapSizeIPSets: 'BPFMapSizeIPSets',
  bpfMapSizeIfState: 'BPFMapSizeIfState',
  bpfHostConntrackBypass: 'BPFHostConntrackBypass',
  bpfIPFragmentReassemblyEnabled: 'BPFIPFragmentReassemblyEnabled',
  bpfEnforceRPF: 'BPFEnforceRPF',
  bpfPolicyDebugEnabled: 'BPFPolicyDebugEnabled',
  bpfForceTrackPacketsFromIfaces: 'BPFForceTrackPacketsFromIfaces',
  bpfDisableGROForIfaces: 'BPFDisableGROForIfaces',
  bpfExcludeCIDRsFromNAT: 'BPFExcludeCIDRsFromNAT',
  bpfExportBufferSizeMB: 'BPFExportBufferSizeMB',
  bpfRedirectToPeer: 'BPFRedirectToPeer',
  bpfAttachType: 'BPFAttachType',
  bpfProfiling: 'BPFProfiling',
  ipv4NormalRoutePriority: 'IPv4NormalRoutePriority',
  ipv4ElevatedRoutePriority: 'IPv4ElevatedRoutePriority',
  ipv6NormalRoutePriority: 'IPv6NormalRoutePriority',
  ipv6ElevatedRoutePriority: 'IPv6ElevatedRoutePriority',
  wireguardKeepAlive: 'WireguardPersistentKeepAlive',
  awsSrcDstCheck: 'AWSSrcDstCheck',
  mtuIfacePattern: 'MTUIfacePattern',
  bpfMaglevMaxEndpointsPerService: 'BPFMaglevMaxEndpointsPerService',
  bpfMaglevMaxServices: 'BPFMaglevMaxServices',

};

/** Duration fields Felix takes in milliseconds; every other duration is in seconds. */
const MILLISECONDS = new Set(['iptablesLockProbeInterval']);

const UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION_PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Go's `time.ParseDuration`, in nanoseconds; undefined when the text is not a duration. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  let i = 0;
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (i === text.length) return undefined;
  let total = 0;
  while (i < text.length) {
    DURATION_PART.lastIndex = i;
    const m = DURATION_PART.exec(text);
    if (m === null || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    i = DURATION_PART.lastIndex;
  }
  return sign * Math.round(total);
}

/** Go's `Duration.String()` for a whole number of nanoseconds (`1m30s`, `1.5s`, `500ms`, `0s`). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  const frac = (value: number, digits: number) => {
    const whole = Math.floor(value / 10 ** digits);
    const rest = String(value % 10 ** digits).padStart(digits, '0').replace(/0+$/, '');
    return rest === '' ? String(whole) : `${whole}.${rest}`;
  };
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${frac(n, 3)}µs`;
  if (n < 1e9) return `${sign}${frac(n, 6)}ms`;
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = `${frac(n, 9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** Go's `%v` for a float64: shortest digits, exponent form below 1e-4 and from 1e6. */
export function formatGoFloat(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

type Json = Record<string, unknown>;

function protoPorts(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  if (value.length === 0) return 'none';
  return (value as Json[]).map((pp) => {
    const proto = String(pp.protocol ?? '').toLowerCase();
    if (typeof pp.net === 'string' && pp.net !== '') {
      return pp.net.includes(':') ? `${proto}:[${pp.net}]:${String(pp.port)}` : `${proto}:${pp.net}:${String(pp.port)}`;
    }
    return `${proto}:${String(pp.port)}`;
  }).join(',');
}

function range(value: unknown): string | undefined {
  const r = value as Json | undefined;
  return typeof r?.min === 'number' && typeof r.max === 'number' ? `${r.min}-${r.max}` : undefined;
}

// One field's value as Calico's config update processor stringifies it, or undefined to omit.
function valueText(json: string, go: string, value: unknown): string | undefined {
  switch (go) {
    case '*metav1.Duration': {
      const ns = typeof value === 'string' ? parseGoDuration(value) : undefined;
      return ns === undefined ? undefined : formatGoFloat(MILLISECONDS.has(json) ? ns / 1e6 : ns / 1e9);
    }
    case '*[]string':
      return Array.isArray(value) ? value.join(',') : undefined;
    case '*[]ProtoPort':
      return protoPorts(value);
    case '*RouteTableRange':
      return range(value);
    case '*RouteTableRanges':
      return Array.isArray(value) ? value.map(range).filter((r) => r !== undefined).join(',') : undefined;
    case '[]HealthTimeoutOverride': {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      return (value as Json[]).map((o) => {
        const ns = typeof o.timeout === 'string' ? parseGoDuration(o.timeout) : undefined;
        return `${String(o.name)}=${ns === undefined ? String(o.timeout) : formatGoDuration(ns)}`;
      }).join(',');
    }
    case '*map[string]string':
      // Go iterates maps in random order; sorted keys make the text stable.
      return typeof value === 'object' && value !== null
        ? Object.keys(value).sort().map((k) => `${k}=${String((value as Json)[k])},`).join('') : undefined;
    case '*BPFConntrackTimeouts':
      return typeof value === 'object' && value !== null
        ? Object.entries(value).filter(([, v]) => typeof v === 'string' && v !== '').map(([k, v]) => `${capitalise(k)}=${String(v)}`).join(',')
        : undefined;
    case '*[]numorstring.Port':
      return Array.isArray(value) ? `[${value.map(String).join(' ')}]` : undefined;
    default: {
      if (typeof value === 'object' || value === undefined || value === null) return undefined;
      const text = String(value);
      return text === '' ? undefined : text;
    }
  }
}

const FIELDS = FELIX_FIELDS.map((f) => ({ json: f.json, go: f.go, name: NAMES[f.json] ?? capitalise(f.json) }))
  .filter((f) => f.name !== '-');

const ANNOTATION_PREFIX = 'config.projectcalico.org/';

/** A FelixConfiguration as Felix parameters, annotation overrides applied. */
export function felixConfigParams(resource: Resource): Record<string, string> {
  const spec = (resource.spec ?? {}) as Json;
  const out: Record<string, string> = {};
  for (const f of FIELDS) {
    const text = valueText(f.json, f.go, spec[f.json]);
    if (text !== undefined) out[f.name] = text;
  }
  for (const [key, value] of Object.entries(resource.metadata.annotations ?? {})) {
    if (key.startsWith(ANNOTATION_PREFIX) && key.length > ANNOTATION_PREFIX.length) out[key.slice(ANNOTATION_PREFIX.length)] = value;
  }
  return out;
}

/** ClusterInformation `default` as Felix parameters (`datastoreReady` is a flag, not a parameter). */
export function clusterInformationParams(resource: Resource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((resource.spec ?? {}) as Json)) {
    if (key === 'datastoreReady' || typeof value !== 'string' || value === '') continue;
    out[capitalise(key)] = value;
  }
  return out;
}
