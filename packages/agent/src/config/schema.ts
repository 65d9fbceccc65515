/**
 * Every configuration parameter of the per-host agent, declared once: Felix's name, value
 * type, default, flags and a one-line doc (Felix's `config/config_params.go` struct tags).
 * The loader (`load-config.ts`) applies precedence and validation; everything else reads the
 * typed, frozen `AgentConfig` derived from this table.
 *
 * Flags: `local` — honoured only from the environment or felix.cfg, never from the
 * datastore; `nonZero` — `none` is refused; `dieOnFail` — an invalid value stops start-up
 * (otherwise the default is used with a warning).
 * @module
 */
import {
  AUTHORITY, bool, endpointList, file, HOST_ADDRESS, HOSTNAME, IFACE_PARAM, ifaceList, ifaceListRegexp, int, ip, keyDurationList,
  LOG_RATE, markBitmask, matching, oneOf, region, seconds, string, type ParamType,
} from './param-types.ts';

/** One parameter's declaration. */
export interface ParamDecl<T> {
  readonly type: ParamType<T>;
  /** Felix's default, as raw text ('' = the type's zero value). */
  readonly default: string;
  readonly local?: boolean;
  readonly nonZero?: boolean;
  readonly dieOnFail?: boolean;
  /** What the parameter does, for docs and `--help-config`. */
  readonly doc: string;
}

type Flags = Pick<ParamDecl<unknown>, 'local' | 'nonZero' | 'dieOnFail'>;

function p<T>(type: ParamType<T>, def: string, doc: string, flags: Flags = {}): ParamDecl<T> {
  return { type, default: def, doc, ...flags };
}

const LOCAL = { local: true } as const;
// Percale stops on a bad etcd connection value; Felix would drop it and connect without it
// (e.g. without TLS when a key file is missing).
const LOCAL_FATAL = { local: true, dieOnFail: true } as const;
const severity = () => oneOf('TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'FATAL');

/** The parameter table, in Felix's names (config-file and `FELIX_<NAME>` spelling). */
export const PARAMS = {
  // Datastore connection and identity (local only).
  DatastoreType: p(oneOf('kubernetes', 'etcdv3'), 'etcdv3', 'Datastore type; Percale supports etcdv3.', { local: true, nonZero: true, dieOnFail: true }),
  FelixHostname: p(matching(HOSTNAME, 'invalid hostname'), '', "This host's name; must equal the Node name and the WEPs' spec.node. Default: the kernel hostname, lower-cased.", { local: true, nonZero: true }),
  EtcdAddr: p(matching(AUTHORITY, 'invalid URL authority'), '127.0.0.1:2379', 'etcd host:port, used only when EtcdEndpoints is unset.', LOCAL_FATAL),
  EtcdScheme: p(oneOf('http', 'https'), 'http', 'Scheme for EtcdAddr.', LOCAL_FATAL),
  EtcdEndpoints: p(endpointList(), '', 'Comma-separated etcd client URLs; overrides EtcdAddr/EtcdScheme and ETCD_ENDPOINTS.', LOCAL_FATAL),
  EtcdKeyFile: p(file(true), '', 'Client key for etcd TLS (must exist).', LOCAL_FATAL),
  EtcdCertFile: p(file(true), '', 'Client certificate for etcd TLS (must exist).', LOCAL_FATAL),
  EtcdCaFile: p(file(true), '', 'CA bundle for etcd TLS (must exist).', LOCAL_FATAL),
  TyphaAddr: p(matching(AUTHORITY, 'invalid URL authority'), '', 'Typha address; Typha is not supported by Percale and must stay unset.', LOCAL),
  TyphaK8sServiceName: p(string(), '', 'Typha service name (Kubernetes only; unsupported).', LOCAL),
  TyphaK8sNamespace: p(string(), 'kube-system', 'Typha namespace (Kubernetes only; unsupported).', { local: true, nonZero: true }),
  TyphaReadTimeout: p(seconds(), '30', 'Typha read timeout (unsupported).', LOCAL),
  TyphaWriteTimeout: p(seconds(), '10', 'Typha write timeout (unsupported).', LOCAL),
  TyphaKeyFile: p(file(true), '', 'Typha client key (unsupported).', LOCAL),
  TyphaCertFile: p(file(true), '', 'Typha client certificate (unsupported).', LOCAL),
  TyphaCAFile: p(file(true), '', 'Typha CA (unsupported).', LOCAL),
  TyphaCN: p(string(), '', 'Typha certificate CN (unsupported).', LOCAL),
  TyphaURISAN: p(string(), '', 'Typha certificate URI SAN (unsupported).', LOCAL),

  // OpenStack.
  OpenstackRegion: p(region(), '', 'Region of this host; selects the status-key region string (region-<name> or no-region). Must match Neutron\'s [calico] openstack_region.', { dieOnFail: true }),
  InterfacePrefix: p(ifaceList(), 'cali', 'Workload interface name prefixes; OpenStack uses tap.', { nonZero: true, dieOnFail: true }),
  InterfaceExclude: p(ifaceListRegexp(), 'kube-ipvs0', 'Interfaces the interface monitor ignores: names or /regex/.'),
  MetadataAddr: p(matching(HOSTNAME, 'invalid hostname'), '127.0.0.1', 'Metadata server target of the 169.254.169.254:80 DNAT and allow rule; none disables.', { dieOnFail: true }),
  MetadataPort: p(int(0, 65535), '8775', 'Metadata server port.', { dieOnFail: true }),
  DefaultEndpointToHostAction: p(oneOf('DROP', 'RETURN', 'ACCEPT'), 'DROP', 'Verdict for workload-to-host traffic after workload egress policy.', { nonZero: true, dieOnFail: true }),
  ChainInsertMode: p(oneOf('insert', 'append'), 'insert', 'Whether hooks go before or after other rules in base chains.', { nonZero: true, dieOnFail: true }),

  // Status reporting.
  ReportingIntervalSecs: p(seconds(), '30', 'Interval of the agent status heartbeat in the datastore; 0 disables.'),
  ReportingTTLSecs: p(seconds(), '90', 'Lease TTL of the heartbeat key.'),
  EndpointReportingEnabled: p(bool(), 'false', 'Write per-endpoint status keys (the Neutron driver turns this on).'),
  EndpointReportingDelaySecs: p(seconds(), '1', 'Minimum interval between endpoint status writes; the self-repair period is 180 times this.'),

  // Dataplane.
  NFTablesMode: p(oneOf('Enabled', 'Disabled', 'Auto'), 'Auto', 'nftables dataplane; Percale programs nftables whatever this says (Auto counts as Enabled).'),
  NftablesRefreshInterval: p(seconds(), '180', 'Period of the full nftables read-back; 0 disables.'),
  IptablesRefreshInterval: p(seconds(), '180', 'Period of the iptables read-back (iptables mode; unused by Percale).'),
  IpsetsRefreshInterval: p(seconds(), '90', 'Period of the IP set read-back.'),
  RouteRefreshInterval: p(seconds(), '90', 'Period of the full route-table resync; 0 disables.'),
  InterfaceRefreshInterval: p(seconds(), '90', 'Period of the interface monitor\'s full link scan.'),
  IptablesPostWriteCheckIntervalSecs: p(seconds(), '5', 'iptables only: re-read after writes.'),
  IptablesBackend: p(oneOf('legacy', 'nft', 'auto'), 'auto', 'iptables backend (iptables mode only).'),
  NftablesMarkMask: p(markBitmask(), '0xffff0000', 'Mark bits the agent may use in nftables.', { nonZero: true, dieOnFail: true }),
  IptablesMarkMask: p(markBitmask(), '0xffff0000', 'Mark bits the agent may use in iptables.', { nonZero: true, dieOnFail: true }),
  NftablesFilterAllowAction: p(oneOf('ACCEPT', 'RETURN'), 'ACCEPT', 'Verdict when policy allows in the filter table.', { nonZero: true, dieOnFail: true }),
  NftablesMangleAllowAction: p(oneOf('ACCEPT', 'RETURN'), 'ACCEPT', 'Verdict when policy allows in mangle chains.', { nonZero: true, dieOnFail: true }),
  NftablesFilterDenyAction: p(oneOf('DROP', 'REJECT'), 'DROP', 'Verdict for denied packets.', { nonZero: true, dieOnFail: true }),
  IptablesFilterAllowAction: p(oneOf('ACCEPT', 'RETURN'), 'ACCEPT', 'iptables counterpart of NftablesFilterAllowAction.', { nonZero: true, dieOnFail: true }),
  IptablesMangleAllowAction: p(oneOf('ACCEPT', 'RETURN'), 'ACCEPT', 'iptables counterpart of NftablesMangleAllowAction.', { nonZero: true, dieOnFail: true }),
  IptablesFilterDenyAction: p(oneOf('DROP', 'REJECT'), 'DROP', 'iptables counterpart of NftablesFilterDenyAction.', { nonZero: true, dieOnFail: true }),
  Ipv6Support: p(bool(), 'true', 'Program the IPv6 table, routes and sysctls too.'),
  IPForwarding: p(oneOf('Enabled', 'Disabled'), 'Enabled', 'Turn on IPv4/IPv6 forwarding at start.'),
  DeviceRouteProtocol: p(int(), '3', 'Protocol number of routes to workload interfaces.'),
  DeviceRouteSourceAddress: p(ip(4), '', 'Optional src address of IPv4 routes to workloads.'),
  DeviceRouteSourceAddressIPv6: p(ip(6), '', 'Optional src address of IPv6 routes to workloads.'),
  RemoveExternalRoutes: p(bool(), 'true', 'Delete routes via workload interfaces that the agent did not program.'),
  IPv4NormalRoutePriority: p(int(1, 2147483646), '1024', 'Metric of IPv4 routes to workloads.'),
  IPv6NormalRoutePriority: p(int(1, 2147483646), '1024', 'Metric of IPv6 routes to workloads.'),
  ProgramClusterRoutes: p(oneOf('Enabled', 'Disabled', 'EnabledIPIPOnly', 'EnabledNoEncapOnly'), 'EnabledIPIPOnly', 'Who programs routes to remote workloads (see bgp.md).'),
  DisableConntrackInvalidCheck: p(bool(), 'false', 'Do not drop conntrack-invalid packets in endpoint chains.'),
  VXLANEnabled: p(oneOf('true', 'false'), '', 'Force VXLAN (vxlan.calico, its routes and rules) on or off; unset follows the IP pools.'),
  VXLANPort: p(int(1, 65535), '4789', 'UDP port of VXLAN.'),
  VXLANVNI: p(int(1, 16777215), '4096', 'VXLAN network identifier of vxlan.calico.'),
  VXLANMTU: p(int(0, 65535), '0', 'MTU of vxlan.calico; 0 = the parent interface\'s MTU minus 50.'),
  AllowIPIPPacketsFromWorkloads: p(bool(), 'false', 'Allow IP-in-IP packets from workloads.'),
  AllowVXLANPacketsFromWorkloads: p(bool(), 'false', 'Allow VXLAN packets from workloads.'),
  WorkloadSourceSpoofing: p(oneOf('Disabled', 'Any'), 'Disabled', 'Let WEPs opt out of RPF with allowSpoofedSourcePrefixes.'),
  NATOutgoingAddress: p(ip(4), '', 'Source address for natOutgoing SNAT (default: masquerade).'),
  NATPortRange: p(matching(/^\d+(:\d+)?$/, 'invalid port range'), '', 'Port range for natOutgoing SNAT, e.g. 32768:65000.'),
  NATOutgoingExclusions: p(oneOf('IPPoolsOnly', 'IPPoolsAndHostIPs'), 'IPPoolsOnly', 'Destinations natOutgoing leaves alone.'),
  IptablesNATOutgoingInterfaceFilter: p(matching(IFACE_PARAM, 'invalid Linux interface parameter'), '', 'Limit natOutgoing to this outgoing interface.'),
  DataplaneWatchdogTimeout: p(seconds(), '90', 'Liveness timeout of the dataplane loop (at least 20 s is used).'),
  LogPrefix: p(string(), 'calico-packet', 'Prefix of packet log lines from Log rules.'),
  LogActionRateLimit: p(matching(LOG_RATE, 'invalid log rate limit'), '', 'Rate limit of Log rules, e.g. 10/second.'),
  LogActionRateLimitBurst: p(int(0, 9999), '5', 'Burst of Log rule rate limiting.'),

  // Health and metrics.
  HealthEnabled: p(bool(), 'false', 'Serve /liveness and /readiness.'),
  HealthHost: p(matching(HOST_ADDRESS, 'invalid host address'), 'localhost', 'Address of the health server.'),
  HealthPort: p(int(0, 65535), '9099', 'Port of the health server.'),
  HealthTimeoutOverrides: p(keyDurationList(), '', 'Per-reporter health timeouts, e.g. InternalDataplaneMainLoop=120s.'),
  PrometheusMetricsEnabled: p(bool(), 'false', 'Serve Prometheus /metrics.'),
  PrometheusMetricsHost: p(matching(HOST_ADDRESS, 'invalid host address'), '', 'Address of the metrics server (default: all addresses).'),
  PrometheusMetricsPort: p(int(0, 65535), '9091', 'Port of the metrics server.'),
  PrometheusGoMetricsEnabled: p(bool(), 'true', 'Include runtime metrics (nodejs_* here; go_* in Felix).'),
  PrometheusProcessMetricsEnabled: p(bool(), 'true', 'Include process_* metrics.'),
  PrometheusMetricsCertFile: p(string(), '', 'TLS certificate of the metrics server.'),
  PrometheusMetricsKeyFile: p(string(), '', 'TLS key of the metrics server.'),
  PrometheusMetricsCAFile: p(string(), '', 'CA for client certificates of the metrics server.'),
  PrometheusMetricsClientAuth: p(oneOf('RequireAndVerifyClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'NoClientCert'), 'NoClientCert', 'Client certificate policy of the metrics server.'),

  // Logging.
  LogFilePath: p(file(false), '/var/log/calico/felix.log', 'Log file; none disables file logging.', { dieOnFail: true }),
  LogSeverityFile: p(severity(), 'INFO', 'Lowest severity written to the log file.'),
  LogSeverityScreen: p(severity(), 'INFO', 'Lowest severity written to stderr.'),
  LogSeveritySys: p(severity(), 'INFO', 'Lowest severity sent to syslog (Percale does not log to syslog).'),

  // From ClusterInformation.
  ClusterGUID: p(string(), 'baddecaf', 'Cluster identifier (from ClusterInformation).'),
  ClusterType: p(string(), '', 'Cluster type list (from ClusterInformation); containing openstack turns the OpenStack special cases on.'),
  CalicoVersion: p(string(), '', 'Calico version recorded in ClusterInformation.'),
  UsageReportingEnabled: p(bool(), 'false', 'Accepted for compatibility; Percale never reports usage.'),
} satisfies Record<string, ParamDecl<unknown>>;

export type ParamName = keyof typeof PARAMS;

/** The resolved configuration: one typed, frozen value per parameter. */
export type AgentConfig = { readonly [K in ParamName]: (typeof PARAMS)[K] extends ParamDecl<infer T> ? Readonly<T> : never };

/** Parameters whose change is applied without a restart (Felix: `handleConfigUpdate`). */
export const RESTART_FREE_PARAMS: ReadonlySet<ParamName> = new Set(['CalicoVersion', 'ClusterGUID', 'ClusterType', 'HealthTimeoutOverrides']);

const BY_LOWER_NAME = new Map<string, ParamName>(Object.keys(PARAMS).map((k) => [k.toLowerCase(), k as ParamName]));

/** The declared name for a case-insensitive parameter name, or undefined for unknown names. */
export function paramName(name: string): ParamName | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}
