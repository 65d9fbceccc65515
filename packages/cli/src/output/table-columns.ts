/**
 * The columns `calicoctl get` prints for each kind (`-o ps`, `-o wide`,
 * `-o custom-columns=…`) and how each cell is rendered. Values follow what
 * calicoctl's Go templates print: `<nil>` for unset pointers, `false`/`0` for unset
 * plain fields, `%v` number formatting, lists joined with commas.
 * @module
 */
import type { Resource } from '@percale/api';
import { formatGoFloat } from '../input/yaml-scalar.ts';

/** Extra data some cells need that is not in the resource itself. */
export interface CellContext {
  /** The cluster AS number shown in parentheses for Nodes without their own (`64512`, or `unknown`). */
  readonly globalASNumber?: string;
}

type Cell = (r: Resource, cx: CellContext) => string;

/** One kind's table definition. */
export interface KindColumns {
  readonly defaults: readonly string[];
  readonly wide: readonly string[];
  readonly cells: Readonly<Record<string, Cell>>;
}

type Json = Record<string, unknown>;
const spec = (r: Resource): Json => (r.spec ?? {}) as Json;

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : goValue(v));
/** A plain Go bool field: unset prints `false`. */
const bool = (v: unknown): string => (v === true ? 'true' : 'false');
/** A Go pointer field: unset prints `<nil>`. */
const pointer = (v: unknown, format: (x: unknown) => string = goValue): string => (v === undefined || v === null ? '<nil>' : format(v));
const int = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' && v ? v : '0');
const float = (v: unknown): string => (typeof v === 'number' ? formatGoFloat(v) : String(v));
const len = (v: unknown): string => String(Array.isArray(v) ? v.length : 0);

/** `%v` of a JSON value the way Go's fmt prints the corresponding Go value. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatGoFloat(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  return `{${Object.values(v as Json).map(goValue).join(' ')}}`;
}

/** calicoctl's `join`: list items (or sorted `k=v` pairs of a map) joined by `sep`. */
function join(v: unknown, sep = ',', maxLen = 0): string {
  if (v === undefined || v === null) return '';
  let items: string[];
  if (Array.isArray(v)) items = v.map(goValue);
  else if (typeof v === 'object') items = Object.entries(v as Json).map(([k, x]) => `${k}=${goValue(x)}`).sort();
  else items = [goValue(v)];
  let out = '';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += sep;
    out += items[i];
    if (maxLen > 0 && Buffer.byteLength(out) > maxLen) {
      // Go truncates the byte buffer to maxLen-3 and appends "..." (it may cut a rune).
      return `${Buffer.from(out).subarray(0, maxLen - 3).toString()}...`;
    }
  }
  return out;
}

// metav1.LabelSelector's generated String(), as `{{.Spec.PodSelector}}` prints it.
function labelSelector(v: unknown): string {
  const sel = (v ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: { key?: string; operator?: string; values?: string[] }[] };
  const labels = Object.keys(sel.matchLabels ?? {}).sort().map((k) => `${k}: ${sel.matchLabels![k]},`).join('');
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key ?? ''},Operator:${e.operator ?? ''},Values:[${(e.values ?? []).join(' ')}],}`)
    .join(',');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

const name: Cell = (r) => r.metadata.name ?? '';
const namespace: Cell = (r) => r.metadata.namespace ?? '';

const policyColumns: KindColumns = {
  defaults: ['NAME', 'TIER'],
  wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cells: {
    NAME: name,
    ORDER: (r) => pointer(spec(r).order, float),
    SELECTOR: (r) => text(spec(r).selector),
    TIER: (r) => text(spec(r).tier),
  },
};
const namespaced = (c: KindColumns): KindColumns => ({ ...c, cells: { ...c.cells, NAMESPACE: namespace } });
const nameOnly = (wide: readonly string[] = ['NAME']): KindColumns => ({ defaults: ['NAME'], wide, cells: { NAME: name } });

const COLUMNS: Record<string, KindColumns> = {
  NetworkPolicy: namespaced(policyColumns),
  GlobalNetworkPolicy: policyColumns,
  StagedNetworkPolicy: namespaced(policyColumns),
  StagedGlobalNetworkPolicy: policyColumns,
  StagedKubernetesNetworkPolicy: {
    defaults: ['NAME'],
    wide: ['NAME', 'PODSELECTOR'],
    cells: { NAME: name, NAMESPACE: namespace, PODSELECTOR: (r) => labelSelector(spec(r).podSelector) },
  },
  Tier: { defaults: ['NAME', 'ORDER'], wide: ['NAME', 'ORDER'], cells: { NAME: name, ORDER: (r) => pointer(spec(r).order, float) } },
  Profile: { defaults: ['NAME'], wide: ['NAME', 'LABELS'], cells: { NAME: name, LABELS: (r) => join(spec(r).labelsToApply) } },
  WorkloadEndpoint: {
    defaults: ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'],
    wide: ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'],
    cells: {
      NAME: name,
      NAMESPACE: namespace,
      NODE: (r) => text(spec(r).node),
      ORCHESTRATOR: (r) => text(spec(r).orchestrator),
      WORKLOAD: (r) => text(spec(r).workload) || text(spec(r).pod),
      NETWORKS: (r) => join(spec(r).ipNetworks),
      NATS: (r) => join(spec(r).ipNATs),
      PROFILES: (r) => join(spec(r).profiles),
      INTERFACE: (r) => text(spec(r).interfaceName),
    },
  },
  // Percale's own columns: calicoctl has no table for this internal kind.
  LiveMigration: {
    defaults: ['NAME'],
    wide: ['NAME', 'SOURCE', 'TARGET'],
    cells: {
      NAME: name,
      NAMESPACE: namespace,
      SOURCE: (r) => text(((spec(r).source as Json | undefined)?.workloadEndpoint as Json | undefined)?.hostname),
      TARGET: (r) => text(((spec(r).target as Json | undefined)?.workloadEndpoint as Json | undefined)?.hostname),
    },
  },
  HostEndpoint: {
    defaults: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'],
    cells: {
      NAME: name,
      NODE: (r) => text(spec(r).node),
      INTERFACE: (r) => text(spec(r).interfaceName),
      IPS: (r) => join(spec(r).expectedIPs),
      PROFILES: (r) => join(spec(r).profiles),
    },
  },
  NetworkSet: { defaults: ['NAME'], wide: ['NAME', 'NETS'], cells: { NAME: name, NAMESPACE: namespace, NETS: (r) => join(spec(r).nets, ',', 80) } },
  GlobalNetworkSet: { defaults: ['NAME'], wide: ['NAME', 'NETS'], cells: { NAME: name, NETS: (r) => join(spec(r).nets, ',', 80) } },
  IPPool: {
    defaults: ['NAME', 'CIDR', 'SELECTOR'],
    wide: ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR', 'ASSIGNMENTMODE'],
    cells: {
      NAME: name,
      CIDR: (r) => text(spec(r).cidr),
      NAT: (r) => bool(spec(r).natOutgoing),
      IPIPMODE: (r) => text(spec(r).ipipMode) || 'Never',
      VXLANMODE: (r) => text(spec(r).vxlanMode) || 'Never',
      DISABLED: (r) => bool(spec(r).disabled),
      DISABLEBGPEXPORT: (r) => bool(spec(r).disableBGPExport),
      SELECTOR: (r) => text(spec(r).nodeSelector),
      ASSIGNMENTMODE: (r) => pointer(spec(r).assignmentMode),
    },
  },
  IPReservation: { defaults: ['NAME'], wide: ['NAME', 'CIDRS'], cells: { NAME: name, CIDRS: (r) => join(spec(r).reservedCIDRs, ',', 80) } },
  IPAMConfiguration: {
    defaults: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS'],
    wide: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS', 'MAXBLOCKSPERHOST'],
    cells: {
      NAME: name,
      STRICTAFFINITY: (r) => bool(spec(r).strictAffinity),
      AUTOALLOCATEBLOCKS: (r) => bool(spec(r).autoAllocateBlocks),
      MAXBLOCKSPERHOST: (r) => int(spec(r).maxBlocksPerHost),
    },
  },
  BGPPeer: {
    defaults: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    wide: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    cells: {
      NAME: name,
      PEERIP: (r) => text(spec(r).peerIP),
      NODE: (r) => text(spec(r).node) || text(spec(r).nodeSelector) || '(global)',
      ASN: (r) => int(spec(r).asNumber),
    },
  },
  BGPConfiguration: {
    defaults: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    wide: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    cells: {
      NAME: name,
      LOGSEVERITY: (r) => text(spec(r).logSeverityScreen),
      MESHENABLED: (r) => (spec(r).nodeToNodeMeshEnabled === undefined ? '-' : bool(spec(r).nodeToNodeMeshEnabled)),
      ASNUMBER: (r) => (spec(r).asNumber === undefined ? '-' : int(spec(r).asNumber)),
    },
  },
  BGPFilter: {
    defaults: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
    wide: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
    cells: {
      NAME: name,
      NUMEXPORTV4: (r) => len(spec(r).exportV4),
      NUMIMPORTV4: (r) => len(spec(r).importV4),
      NUMEXPORTV6: (r) => len(spec(r).exportV6),
      NUMIMPORTV6: (r) => len(spec(r).importV6),
    },
  },
  Node: {
    defaults: ['NAME'],
    wide: ['NAME', 'ASN', 'IPV4', 'IPV6'],
    cells: {
      NAME: name,
      ASN: (r, cx) => {
        const bgp = spec(r).bgp as Json | undefined;
        if (!bgp) return '';
        return bgp.asNumber !== undefined ? int(bgp.asNumber) : `(${cx.globalASNumber ?? '64512'})`;
      },
      IPV4: (r) => text((spec(r).bgp as Json | undefined)?.ipv4Address),
      IPV6: (r) => text((spec(r).bgp as Json | undefined)?.ipv6Address),
    },
  },
  FelixConfiguration: nameOnly(),
  KubeControllersConfiguration: nameOnly(),
  ClusterInformation: {
    defaults: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    wide: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    cells: {
      NAME: name,
      CLUSTERGUID: (r) => text(spec(r).clusterGUID),
      CLUSTERTYPE: (r) => text(spec(r).clusterType),
      CALICOVERSION: (r) => text(spec(r).calicoVersion),
      DATASTOREREADY: (r) => pointer(spec(r).datastoreReady),
    },
  },
  CalicoNodeStatus: {
    defaults: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'CLASSES'],
    cells: { NAME: name, NODE: (r) => text(spec(r).node), CLASSES: (r) => join(spec(r).classes) },
  },
};

/** The table definition of a kind; every kind Percale knows has one. */
export function columnsFor(kind: string): KindColumns {
  const c = COLUMNS[kind];
  if (!c) throw new TypeError(`No table columns defined for kind "${kind}"`);
  return c;
}

/** True when a Node row will need the cluster AS number. */
export function needsGlobalASNumber(kind: string, items: readonly Resource[], headings: readonly string[]): boolean {
  return kind === 'Node' && headings.includes('ASN') && items.some((r) => {
    const bgp = spec(r).bgp as Json | undefined;
    return bgp !== undefined && bgp.asNumber === undefined;
  });
}
