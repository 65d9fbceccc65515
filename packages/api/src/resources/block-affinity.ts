/**
 * `BlockAffinitySpec`: a node's claim on an IPAM block. Block affinities live under Calico's
 * IPAM keys in etcd (resources.md §6.1), not as v3 resources; the spec type is declared so that
 * it can be validated on its own, as Calico's validator does.
 * @module
 */
import { bool, enumOf, string } from '../schema/scalars.ts';
import { always, defaulted, struct } from '../schema/struct.ts';
import { cidrFormat } from './infrastructure-checks.ts';

/** `BlockAffinitySpec`. A deleted affinity may never be written. */
export const BlockAffinitySpec = struct('BlockAffinitySpec', {
  state: always(enumOf(['confirmed', 'pending', 'pendingDeletion'])),
  node: always(string()),
  type: string(),
  cidr: always(string({ check: cidrFormat })),
  deleted: defaulted(always(bool()), false),
}, {
  rules: [
    (spec, report) => {
      if (spec.deleted) report(['deleted'], 'spec.Deleted cannot be set to "true"', true);
    },
  ],
});
