/**
 * The names networking-calico writes into the datastore: label and annotation keys, the
 * policy name prefix and length limits (spec §4.5, §4.7, §5.1, Appendix A). Operators' own
 * policies select on these labels, so they are a public contract and must not drift.
 * @module
 */

/** `orchestrator` of every OpenStack WorkloadEndpoint, and the value of the orchestrator label. */
export const ORCHESTRATOR = 'openstack';
/** Label `<prefix><sg-id>` = sanitised SG name, on every port in the SG. */
export const SG_LABEL_PREFIX = 'sg.projectcalico.org/openstack-';
/** Label `<prefix><sanitised-sg-name>` = SG id. */
export const SG_NAME_LABEL_PREFIX = 'sg-name.projectcalico.org/openstack-';
/** SG names are cut to this many characters so that the SG-name label key fits 63 characters. */
export const SG_NAME_MAX_LENGTH = 63 - SG_NAME_LABEL_PREFIX.length;
/** Longest label value. */
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Label carrying the namespace; Calico scopes namespaced policy selectors with it. */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';
export const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
export const PROJECT_ID_LABEL = 'projectcalico.org/openstack-project-id';
export const PROJECT_NAME_LABEL = 'projectcalico.org/openstack-project-name';
export const PROJECT_PARENT_ID_LABEL = 'projectcalico.org/openstack-project-parent-id';
export const NETWORK_NAME_LABEL = 'projectcalico.org/openstack-network-name';
/** Annotation holding the port's network id. */
export const NETWORK_ID_ANNOTATION = 'openstack.projectcalico.org/network-id';
/** Annotation holding the port's DNS name (Neutron DNS integration). */
export const FQDN_ANNOTATION = 'openstack.projectcalico.org/fqdn';
/** Name prefix of the NetworkPolicy of a security group: `ossg.default.<sg-id>`. */
export const SG_POLICY_NAME_PREFIX = 'ossg.default.';
/** The v3 API version of every resource written. */
export const API_VERSION = 'projectcalico.org/v3';
