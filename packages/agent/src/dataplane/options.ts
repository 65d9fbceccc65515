/**
 * The typed configuration of the nftables dataplane. The agent's config loader maps felix.cfg
 * parameters onto it (names in the field docs); `resolveDataplaneOptions` fills defaults and
 * validates once, so renderers can trust every field.
 * @module
 */

/** Dataplane configuration (all fields optional on input; see `resolveDataplaneOptions`). */
export interface DataplaneOptions {
  /** nftables table name (default `percale`); tests use their own. */
  tableName: string;
  /** `InterfacePrefix`: workload interface prefixes (default `['tap']`). */
  interfacePrefixes: readonly string[];
  /** `Ipv6Support` (default true). When false, IPv6 to and from workloads is dropped. */
  ipv6Support: boolean;
  /** OpenStack special cases (DHCP, DNS, metadata allowances; metadata DNAT). Default true. */
  openStackSpecialCases: boolean;
  /** `MetadataAddr` as an IPv4 address, or undefined for `none` (default `127.0.0.1`). */
  metadataAddr: string | undefined;
  /** `MetadataPort` (default 8775). */
  metadataPort: number;
  /** `DefaultEndpointToHostAction` (default `drop`). */
  defaultEndpointToHostAction: 'drop' | 'return' | 'accept';
  /** `NftablesMarkMask` (default 0xffff0000); the dataplane takes its three lowest set bits. */
  markMask: number;
  /** `NftablesFilterAllowAction` (default `accept`). */
  filterAllowAction: 'accept' | 'return';
  /** `NftablesFilterDenyAction` (default `drop`). */
  filterDenyAction: 'drop' | 'reject';
  /** `DisableConntrackInvalidCheck` (default false). */
  disableConntrackInvalidCheck: boolean;
  /** `AllowVXLANPacketsFromWorkloads` (default false). */
  allowVXLANFromWorkloads: boolean;
  /** `AllowIPIPPacketsFromWorkloads` (default false). */
  allowIPIPFromWorkloads: boolean;
  /** `VXLANPort` (default 4789). */
  vxlanPort: number;
  /** `VXLANEnabled`: undefined (the default) follows the IP pools; true/false forces VXLAN rules on/off. */
  vxlanEnabled: boolean | undefined;
  /** `WorkloadSourceSpoofing` (default `Disabled`); `Any` honours `allowSpoofedSourcePrefixes`. */
  workloadSourceSpoofing: 'Disabled' | 'Any';
  /** `LogPrefix` for `log` rules; `%t`, `%k`, `%n`, `%p` expand (default `calico-packet`). */
  logPrefix: string;
  /** `LogActionRateLimit` as an nft rate (`10/second`), or undefined for none. */
  logActionRateLimit: string | undefined;
  /** `LogActionRateLimitBurst` (default 5). */
  logActionRateLimitBurst: number;
  /** `NATOutgoingAddress`: SNAT to this address instead of masquerading. */
  natOutgoingAddress: string | undefined;
  /** `NATPortRange` as `[min, max]`, or undefined. */
  natPortRange: readonly [number, number] | undefined;
  /** `NATOutgoingExclusions` (default `IPPoolsOnly`). */
  natOutgoingExclusions: 'IPPoolsOnly' | 'IPPoolsAndHostIPs';
  /** `IptablesNATOutgoingInterfaceFilter`: natOutgoing only for traffic leaving through this interface (`+` = any suffix). */
  natOutgoingInterfaceFilter: string | undefined;
  /** `NftablesRefreshInterval` in ms; 0 disables the periodic read-back (default 180 000). */
  refreshIntervalMs: number;
}

/** Defaults for an OpenStack compute host. */
export const DEFAULT_DATAPLANE_OPTIONS: Readonly<DataplaneOptions> = Object.freeze({
  tableName: 'percale',
  interfacePrefixes: Object.freeze(['tap']),
  ipv6Support: true,
  openStackSpecialCases: true,
  metadataAddr: '127.0.0.1',
  metadataPort: 8775,
  defaultEndpointToHostAction: 'drop',
  markMask: 0xffff0000,
  filterAllowAction: 'accept',
  filterDenyAction: 'drop',
  disableConntrackInvalidCheck: false,
  allowVXLANFromWorkloads: false,
  allowIPIPFromWorkloads: false,
  vxlanPort: 4789,
  vxlanEnabled: undefined,
  workloadSourceSpoofing: 'Disabled',
  logPrefix: 'calico-packet',
  logActionRateLimit: undefined,
  logActionRateLimitBurst: 5,
  natOutgoingAddress: undefined,
  natPortRange: undefined,
  natOutgoingExclusions: 'IPPoolsOnly',
  natOutgoingInterfaceFilter: undefined,
  refreshIntervalMs: 180_000,
} satisfies DataplaneOptions);

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,15}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Fills defaults and checks every field, reporting all problems at once.
 * @throws {RangeError} naming each invalid field and value
 */
export function resolveDataplaneOptions(input: Partial<DataplaneOptions> = {}): Readonly<DataplaneOptions> {
  const o: DataplaneOptions = { ...DEFAULT_DATAPLANE_OPTIONS, ...input };
  const problems: string[] = [];
  const bad = (field: string, value: unknown, why: string) => problems.push(`${field} ${JSON.stringify(value)}: ${why}`);
  if (!NAME.test(o.tableName)) bad('tableName', o.tableName, 'must be a letter followed by up to 30 letters, digits, "_" or "-"');
  if (o.interfacePrefixes.length === 0) bad('interfacePrefixes', o.interfacePrefixes, 'must name at least one prefix');
  for (const p of o.interfacePrefixes) if (!PREFIX.test(p)) bad('interfacePrefixes', p, 'must be 1-15 of [A-Za-z0-9_-]');
  if (o.metadataAddr !== undefined && !IPV4.test(o.metadataAddr)) bad('metadataAddr', o.metadataAddr, 'must be an IPv4 address (resolve host names first)');
  if (!Number.isInteger(o.metadataPort) || o.metadataPort < 0 || o.metadataPort > 65535) bad('metadataPort', o.metadataPort, 'must be 0-65535');
  if (!Number.isInteger(o.vxlanPort) || o.vxlanPort < 1 || o.vxlanPort > 65535) bad('vxlanPort', o.vxlanPort, 'must be 1-65535');
  if (!Number.isInteger(o.markMask) || o.markMask < 0 || o.markMask > 0xffffffff) bad('markMask', o.markMask, 'must be a 32-bit mask');
  else if (countBits(o.markMask) < 3) bad('markMask', `0x${o.markMask.toString(16)}`, 'needs at least 3 bits');
  if (o.natOutgoingAddress !== undefined && !IPV4.test(o.natOutgoingAddress)) bad('natOutgoingAddress', o.natOutgoingAddress, 'must be an IPv4 address');
  if (o.natPortRange !== undefined) {
    const [lo, hi] = o.natPortRange;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && lo <= hi && hi <= 65535)) bad('natPortRange', o.natPortRange, 'must be 1 ≤ min ≤ max ≤ 65535');
  }
  if (o.natOutgoingInterfaceFilter !== undefined && !/^[A-Za-z0-9_.-]{1,15}\+?$/.test(o.natOutgoingInterfaceFilter)) {
    bad('natOutgoingInterfaceFilter', o.natOutgoingInterfaceFilter, 'must be an interface name, optionally ending in "+"');
  }
  if (o.logActionRateLimit !== undefined && !/^\d+\/(second|minute|hour|day)$/.test(o.logActionRateLimit)) bad('logActionRateLimit', o.logActionRateLimit, 'must look like "10/second"');
  if (!Number.isInteger(o.logActionRateLimitBurst) || o.logActionRateLimitBurst < 0) bad('logActionRateLimitBurst', o.logActionRateLimitBurst, 'must be a non-negative integer');
  if (!Number.isFinite(o.refreshIntervalMs) || o.refreshIntervalMs < 0) bad('refreshIntervalMs', o.refreshIntervalMs, 'must be ≥ 0');
  if (problems.length > 0) throw new RangeError(`Invalid dataplane options: ${problems.join('; ')}`);
  return Object.freeze({ ...o, interfacePrefixes: Object.freeze([...o.interfacePrefixes]) });
}

function countBits(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v >>>= 1) c += v & 1;
  return c;
}
