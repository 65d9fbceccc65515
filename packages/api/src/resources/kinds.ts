/**
 * The registry of Calico v3 kinds Percale knows: scope, etcd plural and the
 * names calicoctl users type for them. Everything that maps a kind to a key,
 * a command-line name or a list kind reads it from here.
 * @module
 */

export const API_VERSION = 'projectcalico.org/v3';

/** What the rest of Percale needs to know about one kind. */
export interface KindInfo {
  /** The kind as stored and typed in files, e.g. `NetworkPolicy`. */
  readonly kind: string;
  /** Lower-case plural used in etcd keys, e.g. `networkpolicies`. */
  readonly plural: string;
  /** True when resources of this kind live in a namespace. */
  readonly namespaced: boolean;
  /** Names accepted on the calicoctl command line (matched case-insensitively). */
  readonly aliases: readonly string[];
}

const table: readonly KindInfo[] = [
  { kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, aliases: ['networkpolicy', 'networkpolicies', 'policy', 'policies', 'np', 'pol', 'pols'] },
  { kind: 'GlobalNetworkPolicy', plural: 'globalnetworkpolicies', namespaced: false, aliases: ['globalnetworkpolicy', 'globalnetworkpolicies', 'gnp', 'gnps'] },
  { kind: 'StagedNetworkPolicy', plural: 'stagednetworkpolicies', namespaced: true, aliases: ['stagednetworkpolicy', 'stagednetworkpolicies', 'stagedpolicy', 'stagedpolicies', 'snp', 'spol', 'spols'] },
  { kind: 'StagedGlobalNetworkPolicy', plural: 'stagedglobalnetworkpolicies', namespaced: false, aliases: ['stagedglobalnetworkpolicy', 'stagedglobalnetworkpolicies', 'sgnp', 'sgnps'] },
  { kind: 'StagedKubernetesNetworkPolicy', plural: 'stagedkubernetesnetworkpolicies', namespaced: true, aliases: ['stagedkubernetesnetworkpolicy', 'stagedkubernetesnetworkpolicies', 'stagedkubernetespolicy', 'stagedkubernetespolicies', 'sknp', 'skpol', 'skpols'] },
  { kind: 'Tier', plural: 'tiers', namespaced: false, aliases: ['tier', 'tiers'] },
  { kind: 'Profile', plural: 'profiles', namespaced: false, aliases: ['profile', 'profiles', 'pro', 'pros'] },
  { kind: 'WorkloadEndpoint', plural: 'workloadendpoints', namespaced: true, aliases: ['workloadendpoint', 'workloadendpoints', 'wep', 'weps'] },
  { kind: 'LiveMigration', plural: 'livemigrations', namespaced: true, aliases: ['livemigration', 'livemigrations'] },
  { kind: 'HostEndpoint', plural: 'hostendpoints', namespaced: false, aliases: ['hostendpoint', 'hostendpoints', 'hep', 'heps'] },
  { kind: 'NetworkSet', plural: 'networksets', namespaced: true, aliases: ['networkset', 'networksets', 'netsets'] },
  { kind: 'GlobalNetworkSet', plural: 'globalnetworksets', namespaced: false, aliases: ['globalnetworkset', 'globalnetworksets', 'gnetsets'] },
  { kind: 'IPPool', plural: 'ippools', namespaced: false, aliases: ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'] },
  { kind: 'IPReservation', plural: 'ipreservations', namespaced: false, aliases: ['ipreservation', 'ipreservations', 'reservation', 'reservations'] },
  { kind: 'IPAMConfiguration', plural: 'ipamconfigurations', namespaced: false, aliases: ['ipamconfiguration', 'ipamconfigurations', 'ipamconfig', 'ipamconfigs'] },
  { kind: 'BGPPeer', plural: 'bgppeers', namespaced: false, aliases: ['bgppeer', 'bgppeers', 'bgpp', 'bgpps', 'bp', 'bps'] },
  { kind: 'BGPConfiguration', plural: 'bgpconfigurations', namespaced: false, aliases: ['bgpconfiguration', 'bgpconfigurations', 'bgpconfig', 'bgpconfigs'] },
  { kind: 'BGPFilter', plural: 'bgpfilters', namespaced: false, aliases: ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs'] },
  { kind: 'Node', plural: 'nodes', namespaced: false, aliases: ['node', 'nodes', 'no', 'nos'] },
  { kind: 'FelixConfiguration', plural: 'felixconfigurations', namespaced: false, aliases: ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs'] },
  { kind: 'KubeControllersConfiguration', plural: 'kubecontrollersconfigurations', namespaced: false, aliases: ['kubecontrollersconfiguration', 'kubecontrollersconfigurations', 'kubecontrollersconfig', 'kubecontrollersconfigs'] },
  { kind: 'ClusterInformation', plural: 'clusterinformations', namespaced: false, aliases: ['clusterinformation', 'clusterinformations', 'clusterinfo', 'clusterinfos'] },
  { kind: 'CalicoNodeStatus', plural: 'caliconodestatuses', namespaced: false, aliases: ['caliconodestatus', 'caliconodestatuses', 'nodestatus', 'nodestatuses'] },
];

const byKind = new Map(table.map((k) => [k.kind, k]));
const byPlural = new Map(table.map((k) => [k.plural, k]));
const byAlias = new Map(table.flatMap((k) => k.aliases.map((a) => [a, k] as const)));

/** Every known kind, in a stable order. */
export const KINDS: readonly KindInfo[] = table;

/** The kind registered under this exact Kind name, or undefined. */
export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** The kind stored under this etcd plural, or undefined. */
export function kindByPlural(plural: string): KindInfo | undefined {
  return byPlural.get(plural);
}

/** The kind a calicoctl user means by `name` (`wep`, `NetworkPolicies`, …), or undefined. */
export function kindByAlias(name: string): KindInfo | undefined {
  return byAlias.get(name.toLowerCase());
}
