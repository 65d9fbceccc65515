/**
 * Calico's `numorstring.DSCP`: a DiffServ code point as a number 0–63 or a named class
 * (`DF`, `EF`, `AF11` … `CS6`). Used by WorkloadEndpoint QoS controls.
 * @module
 */
import { uint8FromString } from './protocol.ts';

/** A decoded DSCP: a number when the JSON value was a uint8 number or numeric string, else the name. */
export type DSCP = number | string;

/** Named code points and their values. */
export const DSCP_VALUES: Readonly<Record<string, number>> = {
  DF: 0, EF: 46,
  AF11: 10, AF12: 12, AF13: 14, AF21: 18, AF22: 20, AF23: 22,
  AF31: 26, AF32: 28, AF33: 30, AF41: 34, AF42: 36, AF43: 38,
  CS0: 0, CS1: 8, CS2: 16, CS3: 24, CS4: 32, CS5: 40, CS6: 48,
};

/**
 * Reads a DSCP from its JSON value; numeric strings become numbers, other strings are kept.
 * @throws {TypeError} for a value that is neither a number nor a string.
 * @throws {RangeError} for a number that is not an integer 0–255.
 */
export function parseDSCP(json: unknown): DSCP {
  if (typeof json === 'string') return uint8FromString(json) ?? json;
  if (typeof json !== 'number') throw new TypeError(`a DSCP must be a number or a string, not ${json === null ? 'null' : typeof json}`);
  if (!Number.isInteger(json) || json < 0 || json > 255) {
    throw new RangeError(`invalid DSCP ${json}: must be an integer between 0 and 255`);
  }
  return json;
}

/** The numeric code point, or undefined for an unknown name. Names match case-insensitively, as in Calico. */
export function dscpValue(dscp: DSCP): number | undefined {
  if (typeof dscp === 'number') return dscp;
  return uint8FromString(dscp) ?? DSCP_VALUES[dscp.trim().toUpperCase()];
}

/** Why a DSCP fails validation (Calico's text), or undefined when it is valid. */
export function dscpProblem(dscp: DSCP): string | undefined {
  const value = dscpValue(dscp);
  if (value === undefined) return `${dscp} is not a valid DSCP value`;
  return value > 63 ? 'DSCP must be between 0 and 63' : undefined;
}
