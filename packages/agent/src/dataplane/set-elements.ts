/**
 * Brings one nftables set from the elements programmed before to the ones wanted now, for the
 * managers that keep a whole set's contents (NAT pool sets, VXLAN sources): only the
 * difference is queued on the `NftTable`, removals first.
 * @module
 */
import type { NftTable } from '../drivers/nftables/nft-table.ts';

/** Queues on `table` the removal of `have`'s elements missing from `want` and the addition of `want`'s new ones. */
export function syncSetElements(table: NftTable, set: string, have: ReadonlySet<string>, want: ReadonlySet<string>): void {
  const removed = [...have].filter((e) => !want.has(e));
  const added = [...want].filter((e) => !have.has(e));
  if (removed.length > 0) table.removeElements(set, removed);
  if (added.length > 0) table.addElements(set, added);
}
