/**
 * Name formats of resources.md §1.3–1.4: DNS-style resource names, the stricter policy and tier
 * names, and the identifier formats of endpoint fields (interfaces, container IDs, port names).
 * Reasons use Calico's and Kubernetes' wording.
 * @module
 */
import type { StringCheck } from '../schema/scalars.ts';

/** One DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`. */
export const LABEL_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** A DNS-1123 subdomain: labels joined by dots. */
export const SUBDOMAIN_FORMAT = `${LABEL_FORMAT}(\\.${LABEL_FORMAT})*`;

const SUBDOMAIN = new RegExp(`^${SUBDOMAIN_FORMAT}$`);
const LABEL = new RegExp(`^${LABEL_FORMAT}$`);
const NETWORK_POLICY_NAME = new RegExp(`^((${LABEL_FORMAT})(\\.${LABEL_FORMAT})?|((?:knp|ossg)\\.default\\.(${SUBDOMAIN_FORMAT})))$`);
const GLOBAL_NETWORK_POLICY_NAME = new RegExp(`^(${LABEL_FORMAT}\\.)?${LABEL_FORMAT}$`);
const CONTAINER_ID = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const INTERFACE = /^[a-zA-Z0-9_.-]{1,15}$/;

const SUBDOMAIN_REASON = `name must consist of lower case alphanumeric characters, '-' or '.' (regex: ${SUBDOMAIN_FORMAT})`;
const LABEL_REASON = `name must consist of lower case alphanumeric characters or '-' (regex: ${LABEL_FORMAT})`;

/** Length of text in UTF-8 bytes (Go's `len`). */
export function byteLength(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

function tooLong(name: string, max: number): string[] {
  const n = byteLength(name);
  return n > max ? [`name is too long by ${n - max} bytes`] : [];
}

/** The `name` tag as a field check (tier, node, profile names, service names …). */
export const subdomainName: StringCheck = (s) => (SUBDOMAIN.test(s) ? undefined : SUBDOMAIN_REASON);

/** The rule every resource name obeys: a subdomain of at most 253 bytes. */
export function resourceNameProblems(name: string): string[] {
  return [...tooLong(name, 253), ...(SUBDOMAIN.test(name) ? [] : [SUBDOMAIN_REASON])];
}

/** Tier names: a single label of at most 63 bytes (tiers appear inside other names). */
export function tierNameProblems(name: string): string[] {
  return [...tooLong(name, 63), ...(LABEL.test(name) ? [] : [LABEL_REASON])];
}

/** NetworkPolicy names: at most one dot, unless prefixed `knp.default.` or `ossg.default.`. */
export function networkPolicyNameProblems(name: string): string[] {
  return [...tooLong(name, 253), ...(NETWORK_POLICY_NAME.test(name) ? [] : [LABEL_REASON])];
}

/** GlobalNetworkPolicy names: at most one dot. */
export function globalNetworkPolicyNameProblems(name: string): string[] {
  return [...tooLong(name, 253), ...(GLOBAL_NETWORK_POLICY_NAME.test(name) ? [] : [LABEL_REASON])];
}

/** `containerID` tag: letters, digits and inner dashes (mixed case, no dots). */
export const containerID: StringCheck = (s) =>
  (CONTAINER_ID.test(s) ? undefined : 'container ID must consist of alphanumeric characters or \'-\', and start and end with an alphanumeric character');

/** `interface` tag: a Linux interface name of 1–15 characters, or `*`. */
export const interfaceName: StringCheck = (s) =>
  (s === '*' || INTERFACE.test(s) ? undefined : 'interface name must be 1-15 characters from [a-zA-Z0-9_.-], or \'*\'');

/** Why a named port's name is invalid (Kubernetes' `IsValidPortName`), empty when it is fine. */
export function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  else if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

/** `portName` tag as a field check. */
export const portName: StringCheck = (s) => {
  const problems = portNameProblems(s);
  return problems.length ? `invalid port name: ${problems.join('; ')}` : undefined;
};
