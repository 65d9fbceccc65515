/**
 * A port's `qosControls` (spec §10.2): bandwidth and packet-rate limits from the port's (or
 * its network's) Neutron QoS policy, connection limits and bursts from `[calico]` options,
 * each clamped into the range Calico's WorkloadEndpoint API accepts.
 * @module
 */
import { DEFAULT_BW_BURST, DEFAULT_PR_BURST, type QosConfig } from '../config/controller-config.ts';
import type { NeutronPort, NeutronQosPolicy, NeutronQosRule } from '../neutron/types.ts';

/** `qosControls` as written: member names are `<direction><Quantity>`, values integers. */
export type QosControls = Record<string, number>;

// Calico's WorkloadEndpoint limits (the same ones the Kubernetes conversion applies).
const BANDWIDTH: Range = [1000, 10 ** 15];
const BW_BURST: Range = [1000, 34359738360];
const BW_PEAKRATE: Range = [1010, 10 ** 15 + 10 ** 13];
const BW_MINBURST: Range = [1000, 10 ** 8];
const PACKET_RATE: Range = [1, 10 ** 4];
const PR_BURST: Range = [1, 10 ** 4];
const CONNECTIONS: Range = [1, 4294967295];

type Range = readonly [number, number];
type Direction = 'ingress' | 'egress';

function cap(value: number, [min, max]: Range): number {
  return Math.min(Math.max(value, min), max);
}

/** The id of the QoS policy that applies to a port: its own, else its network's. */
export function qosPolicyIdForPort(port: Pick<NeutronPort, 'qos_policy_id' | 'qos_network_policy_id'>): string | undefined {
  return port.qos_policy_id || port.qos_network_policy_id || undefined;
}

/**
 * The `qosControls` for a port under `policy` (undefined: no policy) and the `[calico]` QoS
 * options, in networking-calico's member order; `{}` when nothing applies. Rule types other
 * than `bandwidth_limit` and `packet_rate_limit` (e.g. DSCP marking) are ignored.
 *
 * @example
 * buildQosControls({ id: '1', rules: [{ type: 'bandwidth_limit', max_kbps: 10000, max_burst_kbps: 0 }] }, config.qos);
 * // { egressBandwidth: 10000000, egressBurst: 4294967296 }
 */
export function buildQosControls(policy: Pick<NeutronQosPolicy, 'rules'> | undefined, config: QosConfig): QosControls {
  const qos: QosControls = {};
  const rules = policy?.rules ?? [];
  // All bandwidth rules first, then packet-rate rules: networking-calico queries them by table.
  for (const rule of rules.filter((r) => r.type === 'bandwidth_limit')) {
    const dir = direction(rule);
    if (rule.max_kbps) qos[`${dir}Bandwidth`] = cap(rule.max_kbps * 1000, BANDWIDTH);
    if (rule.max_burst_kbps) qos[`${dir}Peakrate`] = cap(rule.max_burst_kbps * 1000, BW_PEAKRATE);
  }
  for (const rule of rules.filter((r) => r.type === 'packet_rate_limit')) {
    if (rule.max_kpps) qos[`${direction(rule)}PacketRate`] = cap(rule.max_kpps * 1000, PACKET_RATE);
  }
  if (config.maxIngressConnectionsPerPort) qos.ingressMaxConnections = cap(config.maxIngressConnectionsPerPort, CONNECTIONS);
  if (config.maxEgressConnectionsPerPort) qos.egressMaxConnections = cap(config.maxEgressConnectionsPerPort, CONNECTIONS);
  const burst = { ingress: config.ingressBurstBits, egress: config.egressBurstBits };
  const minburst = { ingress: config.ingressMinburstBytes, egress: config.egressMinburstBytes };
  for (const dir of ['ingress', 'egress'] as const) {
    if (!(`${dir}Bandwidth` in qos)) continue;
    qos[`${dir}Burst`] = burst[dir] ? cap(burst[dir], BW_BURST) : DEFAULT_BW_BURST;
    if (minburst[dir] && `${dir}Peakrate` in qos) qos[`${dir}Minburst`] = cap(minburst[dir], BW_MINBURST);
  }
  const packetBurst = { ingress: config.ingressBurstPackets, egress: config.egressBurstPackets };
  for (const dir of ['ingress', 'egress'] as const) {
    if (`${dir}PacketRate` in qos) qos[`${dir}PacketBurst`] = packetBurst[dir] ? cap(packetBurst[dir], PR_BURST) : DEFAULT_PR_BURST;
  }
  return qos;
}

function direction(rule: NeutronQosRule): Direction {
  return rule.direction ?? 'egress';
}
