/**
 * The structured logger the status bridge writes to (the application's logger fits it).
 * @module
 */

/** A leveled logger with structured fields. */
export interface StatusLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Discards everything. */
export const QUIET_STATUS_LOG: StatusLog = { debug() {}, info() {}, warn() {}, error() {} };
