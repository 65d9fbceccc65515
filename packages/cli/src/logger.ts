/**
 * calicoctl's `-l/--log-level` logging: logrus-style `key=value` lines on stderr,
 * off by default (`panic`). Only diagnostics go here, never command output.
 * @module
 */
import { CommandFailedError } from './errors.ts';

const LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LEVELS)[number];

/**
 * Parses a level as logrus does (case-insensitive, `warning` = `warn`).
 * @throws {CommandFailedError} for an unknown level
 */
export function parseLogLevel(text: string): LogLevel {
  const t = text.toLowerCase() === 'warning' ? 'warn' : text.toLowerCase();
  if ((LEVELS as readonly string[]).includes(t)) return t as LogLevel;
  throw new CommandFailedError(`unknown log level: ${text}, expected one of: panic, fatal, error, warn, info, debug`);
}

const quote = (v: string) => (/^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v));

/** A leveled logger writing logrus's text format. */
export class Logger {
  readonly #rank: number;
  readonly #write: (line: string) => void;

  constructor(level: LogLevel, write: (line: string) => void) {
    this.#rank = LEVELS.indexOf(level);
    this.#write = write;
  }

  #log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    if (LEVELS.indexOf(level) > this.#rank) return;
    const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${quote(String(v))}`).join('');
    this.#write(`time="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}" level=${level} msg=${JSON.stringify(msg)}${extra}\n`);
  }

  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.#log('debug', msg, fields);
  }

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.#log('info', msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.#log('warn', msg, fields);
  }
}
