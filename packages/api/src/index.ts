/**
 * @percale/api — the Calico v3 resource model: kinds, validation, defaults and the
 * selector language. Pure logic, no I/O: the dashboard's browser bundle uses it too.
 * @module
 */
export { API_VERSION, KINDS, kindInfo, kindByPlural, kindByAlias, type KindInfo } from './resources/kinds.ts';
export { describeKey, type ObjectMeta, type Resource, type ResourceList, type ResourceKey } from './resources/types.ts';
export { encodeResource, orderedResource, orderedMetadata } from './resources/codec.ts';
export { ValidationError, isValidationError, formatFieldError, type FieldError } from './errors.ts';
export {
  Selector, parseSelector, tryParseSelector, normaliseSelector, SelectorSyntaxError, isSelectorSyntaxError,
  isValidLabelName, makeUniqueId, MAX_LABEL_LENGTH,
  type Labels, type Matcher, type LabelRestriction, type SelectorNode,
} from './selector/index.ts';
export { decodeResource, type DecodeOptions } from './resources/decode-resource.ts';
export { validateResource, validateFragment } from './validation/validate-resource.ts';
export { applyCreateDefaults, applyReadDefaults } from './resources/apply-defaults.ts';
export {
  workloadEndpointName, workloadEndpointNameMatches, parseWorkloadEndpointName, type WorkloadEndpointIdentifiers,
} from './names/index.ts';
export {
  parsePort, portFromString, formatPort, isNamedPort, parseProtocol, protocolNumber, protocolProblem, protocolSupportsPorts,
  PROTOCOL_NAMES, parseDSCP, dscpValue, dscpProblem, DSCP_VALUES, parseASNumber, type Port, type Protocol, type DSCP,
} from './numorstring/index.ts';
export { canonicalCIDR, ipPoolsOverlap, ipPoolCidrChangeAllowed } from './resources/ip-pool-cidr.ts';
export { inetNtop6 } from './ip/inet-ntop6.ts';
export { FELIX_FIELDS, type FelixFieldFact } from './resources/felix-configuration-fields.ts';
export { peerAddress } from './resources/infrastructure-checks.ts';
