/**
 * The contract of a dataplane manager (Felix's `Manager`): `onUpdate` records a message
 * cheaply and never touches the kernel; `completeDeferredWork` turns everything recorded into
 * desired state on the nftables driver, which `Dataplane.apply()` then writes.
 * @module
 */
import type { DataplaneMessage } from '../messages.ts';

/** Converts messages into desired nftables state. */
export interface Manager {
  /** Records one message; no I/O, no rendering beyond bookkeeping. */
  onUpdate(msg: DataplaneMessage): void;
  /** Renders what changed since the last call into the driver's desired state. */
  completeDeferredWork(): void;
}

/** Leveled, structured logging for managers (the agent's logger, or silence in tests). */
export interface ManagerLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Discards everything. */
export const SILENT_LOG: ManagerLog = { debug() {}, info() {}, warn() {}, error() {} };
