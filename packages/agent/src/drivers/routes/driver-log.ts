/**
 * The logging seam of the host-networking drivers: structured messages with fields, which the
 * agent's composition root connects to its logger.
 * @module
 */

/** A leveled, structured logger. */
export interface DriverLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Discards everything. */
export const SILENT_LOG: DriverLog = { debug() {}, info() {}, warn() {}, error() {} };
