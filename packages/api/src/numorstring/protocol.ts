/**
 * Calico's `numorstring.Protocol`: an IP protocol number or name, and the checks Calico applies
 * to it (resources.md §1.5). JSON numbers and numeric strings both become numbers.
 * @module
 */

/** A decoded protocol: a number when the JSON value was a uint8 number or numeric string, else the name. */
export type Protocol = number | string;

/** The protocol names validation accepts, spelled exactly as Calico requires. */
export const PROTOCOL_NAMES: readonly string[] = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];

const UINT8 = /^[0-9]+$/;

/** The number a string denotes when it is an unsigned 8-bit decimal, else undefined. */
export function uint8FromString(text: string): number | undefined {
  if (!UINT8.test(text)) return undefined;
  const n = Number(text);
  return n <= 255 ? n : undefined;
}

/**
 * Reads a protocol from its JSON value. Strings that are uint8 decimals (`"6"`) become numbers;
 * any other string is kept verbatim (validation decides whether it is a known name).
 * @throws {TypeError} for a value that is neither a number nor a string.
 * @throws {RangeError} for a number that is not an integer 0–255.
 */
export function parseProtocol(json: unknown): Protocol {
  if (typeof json === 'string') return uint8FromString(json) ?? json;
  if (typeof json !== 'number') throw new TypeError(`a protocol must be a number or a string, not ${json === null ? 'null' : typeof json}`);
  if (!Number.isInteger(json) || json < 0 || json > 255) {
    throw new RangeError(`invalid protocol ${json}: a protocol number must be an integer between 0 and 255`);
  }
  return json;
}

/** The protocol number: the value itself, or a name's number when the name is numeric text. */
export function protocolNumber(protocol: Protocol): number | undefined {
  return typeof protocol === 'number' ? protocol : uint8FromString(protocol);
}

/** Why a protocol fails validation (Calico's reason text), or undefined when it is valid. */
export function protocolProblem(protocol: Protocol): string | undefined {
  const num = protocolNumber(protocol);
  if (num !== undefined) return num === 0 ? 'protocol number invalid' : undefined;
  return PROTOCOL_NAMES.includes(protocol as string) ? undefined : 'protocol name invalid';
}

/**
 * True for protocols that have ports: 6, 17, 132, `TCP`, `UDP`, `SCTP` — and the lower-case
 * v1 spellings, which Calico still counts here although validation rejects them.
 */
export function protocolSupportsPorts(protocol: Protocol): boolean {
  const num = protocolNumber(protocol);
  if (num !== undefined) return num === 6 || num === 17 || num === 132;
  return ['TCP', 'UDP', 'SCTP', 'tcp', 'udp', 'sctp'].includes(protocol as string);
}
