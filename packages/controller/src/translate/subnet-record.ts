/**
 * The private subnet records the Calico DHCP agent reads (spec §6): one JSON value per
 * DHCP-enabled subnet under `/calico/dhcp/v2/<region string>/subnet/<id>`, written byte for
 * byte as networking-calico writes it, because the resync compares the raw strings.
 * @module
 */
import type { NeutronSubnet } from '../neutron/types.ts';
import { netaddrCidr } from './netaddr-cidr.ts';
import { pythonJsonDumps } from './python-json.ts';

/** Prefix of the current subnet records of a region (no trailing `/`). */
export function subnetPrefix(regionString: string): string {
  return `/calico/dhcp/v2/${regionString}/subnet`;
}

/** The legacy (v1, region-less) subnet prefix a full resync deletes. */
export const LEGACY_SUBNET_PREFIX = '/calico/dhcp/v1/subnet';

/** The etcd key of a subnet's record: `/calico/dhcp/v2/<region string>/subnet/<subnet id>`. */
export function subnetKey(regionString: string, subnetId: string): string {
  return `${subnetPrefix(regionString)}/${subnetId}`;
}

/**
 * The record value for `subnet` (Python `json.dumps` text: `network_id`, `cidr`, `host_routes`,
 * `gateway_ip`, then `dns_servers` if any, then the IPv6 RA and address modes if both are
 * set), or undefined when the subnet has DHCP disabled and so must have no record.
 *
 * @example
 * subnetRecord(subnet);
 * // '{"network_id": "net-id-2", "cidr": "10.28.0.0/24", "host_routes": [], "gateway_ip": "10.28.0.1", "dns_servers": ["172.18.10.55"]}'
 */
export function subnetRecord(subnet: Pick<NeutronSubnet, 'network_id' | 'cidr' | 'host_routes' | 'gateway_ip' | 'enable_dhcp' | 'dns_nameservers' | 'ipv6_ra_mode' | 'ipv6_address_mode'>): string | undefined {
  if (!subnet.enable_dhcp) return undefined;
  const data: Record<string, unknown> = {
    network_id: subnet.network_id,
    cidr: netaddrCidr(subnet.cidr),
    // Host routes as Neutron returns them, member order included.
    host_routes: subnet.host_routes ?? [],
    gateway_ip: subnet.gateway_ip ?? null,
  };
  if (subnet.dns_nameservers?.length) data.dns_servers = subnet.dns_nameservers;
  if (subnet.ipv6_ra_mode && subnet.ipv6_address_mode) {
    data.ipv6_ra_mode = subnet.ipv6_ra_mode;
    data.ipv6_address_mode = subnet.ipv6_address_mode;
  }
  return pythonJsonDumps(data);
}
