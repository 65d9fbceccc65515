/**
 * What Percale's host daemons (`percale agent`, `percale bgp`, `percale neutron-controller`)
 * share so that they behave as one: Felix's log line format and felix.cfg's reader.
 * @module
 */
export { createLogger, parseSeverity, SILENT_LOGGER, type Logger, type LoggerOptions, type Severity } from './logging/logger.ts';
export { parseFelixCfg, FelixCfgSyntaxError, type FelixCfgEntry } from './felix-cfg/felix-cfg.ts';
