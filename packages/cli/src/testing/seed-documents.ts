/**
 * The policies from the user's documents (the multi-region guide's cross-region
 * GlobalNetworkPolicy and its namespaced variant), verbatim, for the CLI's tests.
 */

/**
 * Seed 000's GlobalNetworkPolicy `allow-tcp-80` as a user types it; `name` and text appended
 * after the port list let tests derive variants of the same document.
 */
export function seedGlobalNetworkPolicy(name = 'allow-tcp-80', afterPorts = ''): string {
  return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${name}
spec:
  selector: "has(sg.projectcalico.org/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a)"
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: "has(sg.projectcalico.org/openstack-85cc3048-abc3-43cc-89b3-377341426ac5)"
    destination:
      ports:
      - 80${afterPorts}
`;
}

/** Seed 000's GlobalNetworkPolicy, exactly. */
export const SEED_GNP = seedGlobalNetworkPolicy();

/** Seed 004: the same policy in region one's namespace, sources from any namespace. */
export const SEED_NP = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-tcp-80
  namespace: openstack-region-RegionOne
spec:
  selector: "has(sg.projectcalico.org/openstack-a7734e61-b545-452d-a3cd-0189cbd9747a)"
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      namespaceSelector: "all()"
      selector: "has(sg.projectcalico.org/openstack-85cc3048-abc3-43cc-89b3-377341426ac5)"
    destination:
      ports:
      - 80
`;
