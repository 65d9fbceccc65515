/**
 * NAT for IP pools (agent-dataplane.md §5.12, Felix's masq manager): keeps the all-pools and
 * natOutgoing-pools sets (and the all-hosts set when NATOutgoingExclusions=IPPoolsAndHostIPs)
 * and the `nat-outgoing` chain, which masquerades traffic from natOutgoing pools to
 * destinations outside every pool — and is empty while no pool of a family has natOutgoing.
 * @module
 */
import { parseCidr } from '../drivers/nftables/cidr.ts';
import type { NftTable } from '../drivers/nftables/nft-table.ts';
import type { DataplaneMessage, IPPoolInfo } from '../messages.ts';
import type { Manager } from './manager.ts';
import { NetCover } from './net-cover.ts';
import { SetNames } from './names.ts';
import type { DataplaneOptions } from './options.ts';
import { familiesOf, natOutgoingChain } from './static-chains.ts';

/** Programs pool sets and the natOutgoing chain. */
export class NATManager implements Manager {
  readonly #table: NftTable;
  readonly #options: DataplaneOptions;
  readonly #pools = new Map<string, IPPoolInfo>();
  readonly #hosts = new Map<string, string[]>();
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
      case 'host-update':
        this.#hosts.set(msg.hostname, [msg.ipv4Address, msg.ipv6Address].filter((a): a is string => a !== undefined));
        break;
      case 'host-remove':
        this.#hosts.delete(msg.hostname);
        break;
      default:
        return;
    }
    this.#dirty = true;
  }

  completeDeferredWork(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const masqFamilies = new Set<4 | 6>();
    for (const f of familiesOf(this.#options)) {
      const all = new NetCover();
      const masq = new NetCover();
      for (const pool of this.#pools.values()) {
        if (parseCidr(pool.cidr)?.family !== f) continue;
        all.add(pool.cidr);
        if (pool.natOutgoing) masq.add(pool.cidr);
      }
      if (masq.size > 0) masqFamilies.add(f);
      this.#table.replaceElements(SetNames.allPools(f), all.elements);
      this.#table.replaceElements(SetNames.masqPools(f), masq.elements);
      if (this.#options.natOutgoingExclusions === 'IPPoolsAndHostIPs') {
        const hosts = new NetCover();
        for (const addrs of this.#hosts.values()) for (const a of addrs) if (parseCidr(a)?.family === f) hosts.add(a);
        this.#table.replaceElements(SetNames.allHosts(f), hosts.elements);
      }
    }
    this.#table.setChain(natOutgoingChain(this.#options, masqFamilies));
  }
}
