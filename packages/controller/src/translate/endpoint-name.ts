/**
 * The WorkloadEndpoint name of a port at a host (spec §4.2): Calico's naming for "other"
 * orchestrators, `<host>-openstack-<device id>-<port id>` with each part's dashes doubled.
 * Felix and the DHCP agent split the name back into those four parts.
 * @module
 */
import { workloadEndpointName } from '@percale/api';
import type { NeutronPort } from '../neutron/types.ts';
import { ORCHESTRATOR } from './constants.ts';

/**
 * The WorkloadEndpoint name for `port` bound at `host`, e.g. host `felix-host-1`, device
 * `instance-1`, port `DEADBEEF-1234-5678` → `felix--host--1-openstack-instance--1-DEADBEEF--1234--5678`.
 *
 * networking-calico would also name a port with an empty host (`-openstack-…`, spec §12 item 5),
 * which no Felix would ever claim; Calico's name builder refuses that, and so does this.
 * @throws {ValidationError} (from @percale/api) when `host`, the device id or the port id is
 * empty or starts or ends with `-`: such a port has no valid endpoint and must be skipped.
 */
export function endpointName(host: string, port: Pick<NeutronPort, 'id' | 'device_id'>): string {
  return workloadEndpointName({ node: host, orchestrator: ORCHESTRATOR, workload: port.device_id, endpoint: port.id });
}
