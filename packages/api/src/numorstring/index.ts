/**
 * Calico's number-or-string union types (`api/pkg/lib/numorstring`): ports, protocols, DSCP
 * and AS numbers, their JSON decoding and encoding, and the value checks Calico applies.
 * @module
 */
export { parsePort, portFromString, formatPort, isNamedPort, type Port } from './port.ts';
export {
  parseProtocol, protocolNumber, protocolProblem, protocolSupportsPorts, PROTOCOL_NAMES, type Protocol,
} from './protocol.ts';
export { parseDSCP, dscpValue, dscpProblem, DSCP_VALUES, type DSCP } from './dscp.ts';
export { parseASNumber } from './as-number.ts';
