/**
 * What Percale's host-side programs (`percale agent`, `percale bgp`, `percale neutron-controller`,
 * `calicoctl node status`) share so that they behave as one: Felix's log line format,
 * felix.cfg's reader and the client of BIRD's control socket.
 * @module
 */
export { createLogger, parseSeverity, SILENT_LOGGER, type Logger, type LoggerOptions, type Severity } from './logging/logger.ts';
export { parseFelixCfg, FelixCfgSyntaxError, type FelixCfgEntry } from './felix-cfg/felix-cfg.ts';
export { BirdControl, BirdCommandError, BirdUnreachableError, DEFAULT_BIRD_SOCKET, parseBirdReply, parseShowProtocols, type BirdProtocol, type BirdReply, type BirdReplyLine } from './bird/bird-control.ts';
