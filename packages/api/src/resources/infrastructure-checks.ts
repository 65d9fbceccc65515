/**
 * Field checks used only by the infrastructure kinds (IP pools, BGP, Felix and
 * kube-controllers configuration, Node): Calico's Go validate tags that the policy kinds do
 * not need (`IP:port`, `netv4`, `regexp`, `keyValueList`, …) and CRD `pattern` matching.
 * @module
 */
import type { StringCheck } from '../schema/scalars.ts';
import { isStrictlyMasked, parseCIDR, parseCIDROrIP, parseIP } from '../validation/net.ts';

/**
 * A CRD `pattern` as a field check. Kubernetes evaluates patterns with Go's regexp engine; the
 * one Go-only construct Calico's patterns use is a leading `(?i)`, which becomes the `i` flag.
 */
export function crdPattern(pattern: string): StringCheck {
  const insensitive = pattern.startsWith('^(?i)');
  const rx = new RegExp(insensitive ? `^${pattern.slice(5)}` : pattern, insensitive ? 'i' : '');
  return (s) => (rx.test(s) ? undefined : `should match '${pattern}'`);
}

/** CRD `format: cidr` (Kubernetes uses Go's `net.ParseCIDR`: a prefix length is required). */
export const cidrFormat: StringCheck = (s) => (parseCIDR(s) ? undefined : `must be of type cidr: ${JSON.stringify(s)}`);

/** `netv4` tag: an IPv4 address or strictly masked IPv4 CIDR. */
export const ipv4Network: StringCheck = (s) => {
  const net = parseCIDROrIP(s);
  return net?.address.version === 4 && isStrictlyMasked(net) ? undefined : `invalid IPv4 network ${JSON.stringify(s)}`;
};

/** `netv6` tag: an IPv6 address or strictly masked IPv6 CIDR. */
export const ipv6Network: StringCheck = (s) => {
  const net = parseCIDROrIP(s);
  return net?.address.version === 6 && isStrictlyMasked(net) ? undefined : `invalid IPv6 network ${JSON.stringify(s)}`;
};

/** `cidrv4` tag: an IPv4 address or CIDR, host bits allowed (a node's BGP address). */
export const ipv4CIDR: StringCheck = (s) => (parseCIDROrIP(s)?.address.version === 4 ? undefined : `invalid IPv4 CIDR: ${s}`);

/** `cidrv6` tag: an IPv6 address or CIDR, host bits allowed. */
export const ipv6CIDR: StringCheck = (s) => (parseCIDROrIP(s)?.address.version === 6 ? undefined : `invalid IPv6 CIDR: ${s}`);

const IPV4_PORT = /^(\d+).(\d+).(\d+).(\d+):(\d+)$/; // Calico's pattern: the dots match any character.
const IPV6_PORT = /^\[[0-9a-fA-F:.]+\]:(\d+)$/;

/** Go's `net.SplitHostPort` for the two shapes Calico lets through: `host:port`, `[host]:port`. */
function splitHostPort(text: string): [string, string] | undefined {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':' || text.slice(end + 2).includes(':')) return undefined;
    return [text.slice(1, end), text.slice(end + 2)];
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0 || text.slice(0, colon).includes(':')) return undefined;
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/**
 * A BGP peer address: `<IP>`, `<IPv4>:<port>` or `[<IPv6>]:<port>` with a port of 1–65535.
 * Returns the address part, or undefined when the text is none of these.
 */
export function peerAddress(text: string): string | undefined {
  let host = text;
  if (IPV4_PORT.test(text) || IPV6_PORT.test(text)) {
    const parts = splitHostPort(text);
    if (!parts) return undefined;
    const port = Number(parts[1]);
    if (!/^[0-9]+$/.test(parts[1]) || port < 1 || port > 65535) return undefined;
    host = parts[0];
  }
  return parseIP(host) ? host : undefined;
}

/** `IP:port` tag (BGPPeer `peerIP`). */
export const peerIP: StringCheck = (s) =>
  (peerAddress(s) !== undefined ? undefined : 'peerIP must be "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>" with a port of 1-65535');

/** `bgpFilterInterface` tag: an interface name that may use `*` wildcards. */
export const bgpFilterInterface: StringCheck = (s) =>
  (s === '*' || /^[a-zA-Z0-9_.*-]{1,15}$/.test(s) ? undefined : 'interface must be 1-15 characters from [a-zA-Z0-9_.*-]');

/** `ignoredInterface` tag: like `bgpFilterInterface`, but a lone `*` would ignore every interface. */
export const ignoredInterface: StringCheck = (s) =>
  (s !== '*' && /^[a-zA-Z0-9_.*-]{1,15}$/.test(s) ? undefined : 'ignored interface must be 1-15 characters from [a-zA-Z0-9_.*-], and not \'*\'');

/** `ifaceFilter` tag: an iptables interface match, `+` as the wildcard suffix. */
export const interfaceFilter: StringCheck = (s) =>
  (/^[a-zA-Z0-9:._+-]{1,15}$/.test(s) ? undefined : 'interface filter must be 1-15 characters from [a-zA-Z0-9:._+-]');

/** `prometheusHost` tag: a host name or address of at most 64 characters. */
export const prometheusHost: StringCheck = (s) =>
  (/^[a-zA-Z0-9:._+-]{1,64}$/.test(s) ? undefined : 'host must be 1-64 characters from [a-zA-Z0-9:._+-]');

/** `keyValueList` tag: comma-separated `key=value` items (empty items allowed). */
export const keyValueList: StringCheck = (s) => {
  if (s.trim() === '') return undefined;
  const bad = s.split(',').find((item) => item !== '' && !/^\s*\w+=/.test(item));
  return bad === undefined ? undefined : `invalid key=value item ${JSON.stringify(bad)}`;
};

/** `wireguardPublicKey` tag: standard base64 of a 32-byte key. */
export const wireguardPublicKey: StringCheck = (s) =>
  (/^[A-Za-z0-9+/]{43}=$/.test(s) ? undefined : 'invalid WireGuard public key: must be the base64 form of 32 bytes');

/** `ipType` tag (Node addresses). */
export const nodeAddressType: StringCheck = (s) =>
  (/^(CalicoNodeIP|InternalIP|ExternalIP)$/.test(s) ? undefined : 'address type must be CalicoNodeIP, InternalIP or ExternalIP');

/**
 * `regexp` tag: the text compiles as a Go (RE2) regular expression. Checked by translating
 * RE2-only syntax to JavaScript and rejecting what RE2 lacks (look-around, back-references).
 */
export const goRegexp: StringCheck = (s) => {
  if (/\(\?<?[=!]/.test(s) || /\\[1-9]/.test(s)) return `invalid regular expression ${JSON.stringify(s)}: unsupported by Go's RE2 syntax`;
  if (/\{(\d{4,}|100[1-9]|10[1-9]\d)(,\d*)?\}|\{\d*,(\d{4,})\}/.test(s)) return `invalid regular expression ${JSON.stringify(s)}: invalid repeat count`;
  const js = s
    .replace(/\\Q(.*?)(\\E|$)/g, (_, lit: string) => lit.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?[imsU]+\)/g, '')
    .replace(/\(\?[imsU]*(-[imsU]+)?:/g, '(?:')
    .replace(/\[:\^?[a-z]+:\]/g, 'a-z')
    .replace(/\\[AzpP]/g, (m) => (m === '\\A' ? '^' : m === '\\z' ? '$' : '\\w'));
  try {
    new RegExp(js);
    return undefined;
  } catch (err) {
    return `invalid regular expression ${JSON.stringify(s)}: ${(err as Error).message}`;
  }
};
