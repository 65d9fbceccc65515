/**
 * The kernel parameters the agent sets (spec agent-dataplane §6.2): global forwarding once at
 * start, and per workload interface (proxy ARP/NDP, forwarding, `route_localnet`, RPF, no RAs)
 * whenever an endpoint's interface is up and needs configuring. Written through the `Sysctls`
 * shim by the host-networking facade.
 * @module
 */
import type { SysctlSetting, Sysctls } from '../../shims/sysctl.ts';

/** A setting plus whether failing to write it leaves the interface unconfigured. */
export interface InterfaceSysctl extends SysctlSetting {
  /**
   * False for `accept_ra` (written even when IPv6 is off, for safety, and absent when the kernel
   * has IPv6 disabled) and `proxy_delay` (only a latency optimisation): failures are logged only.
   */
  required: boolean;
}

/** Options that shape the per-interface settings. */
export interface WorkloadSysctlOptions {
  /** IPv6 support on (`Ipv6Support`): adds `proxy_ndp` and IPv6 forwarding. */
  ipv6: boolean;
  /**
   * `rp_filter` value: the kernel default read at start, or `0` for an endpoint with
   * `allowSpoofedSourcePrefixes` under `WorkloadSourceSpoofing=Any`.
   */
  rpFilter: string;
}

/** The per-interface settings for workload interface `name`, in the order they are written. */
export function workloadInterfaceSysctls(name: string, options: WorkloadSysctlOptions): InterfaceSysctl[] {
  const settings: InterfaceSysctl[] = [
    // Never learn routes from a VM, even with IPv6 support off.
    { key: `net/ipv6/conf/${name}/accept_ra`, value: '0', required: false },
    // Lets the metadata DNAT to 127.0.0.1 route.
    { key: `net/ipv4/conf/${name}/route_localnet`, value: '1', required: true },
    { key: `net/ipv4/neigh/${name}/proxy_delay`, value: '0', required: false },
    // The host answers every ARP request on the tap, so VMs reach everything via the host.
    { key: `net/ipv4/conf/${name}/proxy_arp`, value: '1', required: true },
    { key: `net/ipv4/conf/${name}/forwarding`, value: '1', required: true },
    { key: `net/ipv4/conf/${name}/rp_filter`, value: options.rpFilter, required: true },
  ];
  if (options.ipv6) {
    settings.push(
      { key: `net/ipv6/conf/${name}/proxy_ndp`, value: '1', required: true },
      { key: `net/ipv6/conf/${name}/forwarding`, value: '1', required: true },
    );
  }
  return settings;
}

/** Options of the global settings. */
export interface GlobalSysctlOptions {
  /** `IPForwarding=Enabled`. */
  ipForwarding: boolean;
  ipv6: boolean;
}

/** The settings written once at start, before the agent is in sync. */
export function globalSysctls(options: GlobalSysctlOptions): SysctlSetting[] {
  const settings: SysctlSetting[] = [];
  if (options.ipForwarding) {
    settings.push({ key: 'net/ipv4/ip_forward', value: '1' });
    if (options.ipv6) settings.push({ key: 'net/ipv6/conf/all/forwarding', value: '1' });
  }
  // Byte and packet counters per flow, for flow logs and conntrack inspection.
  settings.push({ key: 'net/netfilter/nf_conntrack_acct', value: '1' });
  return settings;
}

/** Fallback when `net.ipv4.conf.default.rp_filter` cannot be read. */
export const DEFAULT_RP_FILTER = '1';

/** The kernel's default `rp_filter`, which workload interfaces inherit unless exempted. */
export async function readDefaultRPFilter(sysctls: Sysctls): Promise<string> {
  const value = await sysctls.read('net/ipv4/conf/default/rp_filter');
  return value !== undefined && /^[0-2]$/.test(value) ? value : DEFAULT_RP_FILTER;
}

/** Outcome of configuring one interface. */
export interface InterfaceConfigResult {
  /** True when every required setting was written. */
  configured: boolean;
  /** Every failed setting (required or not): key → reason. */
  failures: Map<string, string>;
}

/**
 * Writes the settings of several interfaces with one shim call (one process in a namespace),
 * and says per interface whether its required settings all succeeded.
 */
export async function configureInterfaces(
  sysctls: Sysctls,
  interfaces: ReadonlyMap<string, WorkloadSysctlOptions>,
): Promise<Map<string, InterfaceConfigResult>> {
  const perInterface = new Map<string, InterfaceSysctl[]>();
  for (const [name, options] of interfaces) perInterface.set(name, workloadInterfaceSysctls(name, options));
  const failures = await sysctls.write([...perInterface.values()].flat());
  const results = new Map<string, InterfaceConfigResult>();
  for (const [name, settings] of perInterface) {
    const own = new Map<string, string>();
    let configured = true;
    for (const s of settings) {
      const reason = failures.get(s.key);
      if (reason === undefined) continue;
      own.set(s.key, reason);
      if (s.required) configured = false;
    }
    results.set(name, { configured, failures: own });
  }
  return results;
}
