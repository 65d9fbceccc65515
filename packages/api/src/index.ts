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
