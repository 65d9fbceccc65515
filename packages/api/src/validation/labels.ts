/**
 * Kubernetes identifier rules Calico applies to labels, annotations and `labelsToApply`
 * (resources.md §1.4), with Kubernetes' reason texts.
 * @module
 */
import type { StringCheck } from '../schema/scalars.ts';
import type { Issue, Path } from '../schema/types.ts';
import { byteLength, SUBDOMAIN_FORMAT } from './names.ts';

const QUALIFIED_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED = new RegExp(`^${QUALIFIED_FORMAT}$`);
const LABEL_VALUE_FORMAT = `(${QUALIFIED_FORMAT})?`;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FORMAT}$`);
const SUBDOMAIN = new RegExp(`^${SUBDOMAIN_FORMAT}$`);

const QUALIFIED_MESSAGE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  `(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_FORMAT}')`;
const SUBDOMAIN_MESSAGE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " +
  `and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${SUBDOMAIN_FORMAT}')`;
const LABEL_VALUE_MESSAGE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
  `start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${LABEL_VALUE_FORMAT}')`;

/** Why `key` is not a qualified name (`name` or `prefix/name`); empty when it is one. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${QUALIFIED_MESSAGE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const problems: string[] = [];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') problems.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
      if (!SUBDOMAIN.test(prefix)) problems.push(`prefix part ${SUBDOMAIN_MESSAGE}`);
    }
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!QUALIFIED.test(name)) problems.push(`name part ${QUALIFIED_MESSAGE}`);
  return problems;
}

/** Why `value` is not a valid label value; empty when it is one. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) problems.push(LABEL_VALUE_MESSAGE);
  return problems;
}

/** Label keys as a schema key check (e.g. Profile `labelsToApply`). */
export const labelKey: StringCheck = (k) => qualifiedNameProblems(k).join('; ') || undefined;

/** Label values as a schema check. */
export const labelValue: StringCheck = (v) => labelValueProblems(v).join('; ') || undefined;

/** Checks a label map: every key a qualified name, every value a label value. */
export function checkLabels(labels: Readonly<Record<string, string>>, path: Path, issues: Issue[]): void {
  for (const [key, value] of Object.entries(labels)) {
    for (const reason of qualifiedNameProblems(key)) issues.push({ path: [...path, { key }], value: key, reason });
    for (const reason of labelValueProblems(value)) issues.push({ path: [...path, { key }], value, reason });
  }
}

/** Total size Kubernetes allows for all annotation keys and values together. */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/** Checks annotations: keys (lower-cased first) are qualified names; the total size is bounded. */
export function checkAnnotations(annotations: Readonly<Record<string, string>>, path: Path, issues: Issue[]): void {
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const reason of qualifiedNameProblems(key.toLowerCase())) issues.push({ path: [...path, { key }], value: key, reason });
    size += byteLength(key) + byteLength(value);
  }
  if (size > ANNOTATIONS_SIZE_LIMIT) {
    issues.push({ path, reason: `total size of annotations is too large by ${size - ANNOTATIONS_SIZE_LIMIT} bytes` });
  }
}
