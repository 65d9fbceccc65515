/**
 * GlobalNetworkSet (cluster-scoped): a labelled list of networks that policy selectors can
 * match from any namespace (resources.md §2.5).
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { struct } from '../schema/struct.ts';
import { cidrOrIP } from '../validation/net.ts';
import { noNamespaceLabel } from './network-set.ts';

/** `GlobalNetworkSetSpec`. */
export const GlobalNetworkSetSpec = struct('GlobalNetworkSetSpec', {
  nets: list(string({ check: cidrOrIP })),
});

/** The GlobalNetworkSet kind. */
export const GlobalNetworkSet = defineKind({
  kind: 'GlobalNetworkSet',
  spec: GlobalNetworkSetSpec,
  rules: [noNamespaceLabel],
});
