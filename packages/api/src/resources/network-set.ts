/**
 * NetworkSet (namespaced): a labelled list of networks that policy selectors can match
 * (resources.md §2.5). Entries are addresses or CIDRs; host bits may be set.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind, type KindRule } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { struct } from '../schema/struct.ts';
import { cidrOrIP } from '../validation/net.ts';

/** The label Calico reserves for mapping namespaces; network sets may not carry it. */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';

/** Rejects the reserved namespace label on a network set. */
export const noNamespaceLabel: KindRule<unknown> = (res, report) => {
  if (res.metadata.labels?.[NAMESPACE_LABEL] !== undefined) {
    report(['metadata', 'labels', { key: NAMESPACE_LABEL }], `${NAMESPACE_LABEL} is not a valid label name`, NAMESPACE_LABEL);
  }
};

/** `NetworkSetSpec`. */
export const NetworkSetSpec = struct('NetworkSetSpec', {
  nets: list(string({ check: cidrOrIP })),
});

/** The NetworkSet kind. */
export const NetworkSet = defineKind({
  kind: 'NetworkSet',
  spec: NetworkSetSpec,
  rules: [noNamespaceLabel],
});
