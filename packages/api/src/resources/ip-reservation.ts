/**
 * IPReservation (cluster-scoped): addresses Calico IPAM must never hand out (resources.md §1.6).
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { struct } from '../schema/struct.ts';
import { cidrOrIP } from '../validation/net.ts';

/** `IPReservationSpec`: addresses or CIDRs (host bits allowed), each listed once. */
export const IPReservationSpec = struct('IPReservationSpec', {
  reservedCIDRs: list(string({ check: cidrOrIP }), { unique: true }),
});

/** The IPReservation kind. */
export const IPReservation = defineKind({
  kind: 'IPReservation',
  spec: IPReservationSpec,
});
