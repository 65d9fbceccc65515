/**
 * The nftables half of VXLAN (bgp.md §6.2, agent-dataplane §5.3, Felix's VXLAN rules in
 * `rules/static.go` and the VXLAN manager's allowed-sources set): while an IPv4 pool has
 * `vxlanMode` other than `Never` (or `VXLANEnabled` forces it), three base chains of their own
 * accept VXLAN only from known tunnel endpoints, take it out of connection tracking, and
 * masquerade host-originated traffic that enters `vxlan.calico` with a non-tunnel source.
 * Without VXLAN none of them exists. The device, routes and FDB are `drivers/vxlan/`'s.
 *
 *   tunnel-raw   (prerouting, raw)      udp dport 4789 to this host ─▶ notrack
 *   tunnel-input (input, filter)        udp dport 4789 from @vxlan-sources4 ─▶ accept; other ─▶ drop
 *   tunnel-snat  (postrouting, srcnat)  oif vxlan.calico, source local but not the tunnel's ─▶ masquerade
 * @module
 */
import type { NftTable } from '../drivers/nftables/nft-table.ts';
import { poolWantsVXLAN, VXLAN_DEVICE } from '../drivers/vxlan/vxlan-manager.ts';
import type { DataplaneMessage, IPPoolInfo } from '../messages.ts';
import type { Manager } from './manager.ts';
import type { DataplaneOptions } from './options.ts';
import { Priority } from './static-chains.ts';

/** Names of the VXLAN chains and set. */
export const TunnelNames = {
  raw: 'tunnel-raw',
  input: 'tunnel-input',
  snat: 'tunnel-snat',
  /** Underlay addresses of every host with a VTEP: the only allowed VXLAN sources. */
  sources: 'vxlan-sources4',
} as const;

/** Programs the VXLAN sets and chains. */
export class TunnelManager implements Manager {
  readonly #table: NftTable;
  readonly #options: DataplaneOptions;
  readonly #pools = new Map<string, IPPoolInfo>();
  /** Node → underlay address of its VTEP. */
  readonly #vteps = new Map<string, string>();
  /** True while the chains and set are in the table. */
  #installed = false;
  #dirty = true;

  constructor(table: NftTable, options: DataplaneOptions) {
    this.#table = table;
    this.#options = options;
  }

  onUpdate(msg: DataplaneMessage): void {
    switch (msg.type) {
      case 'ippool-update':
        this.#pools.set(msg.id, msg.pool);
        break;
      case 'ippool-remove':
        this.#pools.delete(msg.id);
        break;
      case 'vtep-update':
        this.#vteps.set(msg.vtep.node, msg.vtep.parentDeviceIP);
        break;
      case 'vtep-remove':
        this.#vteps.delete(msg.node);
        break;
      default:
        return;
    }
    this.#dirty = true;
  }

  /** True while VXLAN is in use: forced by `VXLANEnabled`, else any IPv4 VXLAN pool. */
  get active(): boolean {
    return this.#options.vxlanEnabled ?? [...this.#pools.values()].some(poolWantsVXLAN);
  }

  completeDeferredWork(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const t = this.#table;
    if (!this.active) {
      if (!this.#installed) return;
      for (const c of [TunnelNames.raw, TunnelNames.input, TunnelNames.snat]) t.deleteChain(c);
      t.deleteSet(TunnelNames.sources);
      this.#installed = false;
      return;
    }
    const port = this.#options.vxlanPort;
    if (!this.#installed) {
      t.setSet({ name: TunnelNames.sources, type: ['ipv4_addr'], interval: true });
      this.#installed = true;
      t.setChain({
        name: TunnelNames.raw,
        base: { type: 'filter', hook: 'prerouting', priority: Priority.raw, policy: 'accept' },
        rules: [{ body: `udp dport ${port} fib daddr type local notrack`, comment: 'VXLAN is not connection-tracked' }],
      });
      t.setChain({
        name: TunnelNames.input,
        base: { type: 'filter', hook: 'input', priority: Priority.filter, policy: 'accept' },
        rules: [
          { body: `ip saddr @${TunnelNames.sources} udp dport ${port} fib daddr type local counter accept`, comment: 'Allow VXLAN packets from allowed hosts' },
          { body: `udp dport ${port} fib daddr type local counter drop`, comment: 'Drop VXLAN packets from non-allowed hosts' },
        ],
      });
      t.setChain({
        name: TunnelNames.snat,
        // Next to nat-postrouting: the two never match the same packet (pool sources are not local).
        base: { type: 'nat', hook: 'postrouting', priority: Priority.srcnat + 10, policy: 'accept' },
        rules: [{
          body: `oifname "${VXLAN_DEVICE}" fib saddr . oif type != local fib saddr type local counter masquerade`,
          comment: 'Host traffic into the tunnel leaves from the tunnel address',
        }],
      });
    }
    t.replaceElements(TunnelNames.sources, new Set(this.#vteps.values()));
  }
}
