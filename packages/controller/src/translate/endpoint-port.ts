/**
 * Which Neutron ports become WorkloadEndpoints (spec §4.1): VM ports and Kuryr container
 * ports. DHCP, router and floating-IP ports, and unattached ports, are never endpoints.
 * @module
 */
import type { NeutronPort } from '../neutron/types.ts';

/** True for a port the controller represents as a WorkloadEndpoint (`compute:*` or `kuryr:container*` owner). */
export function isEndpointPort(port: Pick<NeutronPort, 'device_owner'>): boolean {
  const owner = port.device_owner ?? '';
  return owner.startsWith('compute:') || owner.startsWith('kuryr:container');
}
