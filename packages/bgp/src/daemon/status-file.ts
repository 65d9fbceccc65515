/**
 * The daemon's status, published as a JSON file (default /var/run/percale/bgp-status.json)
 * that operators, monitoring and tests read: datastore sync state, the installed
 * configuration, the last reload, the last error with BIRD's own message, BIRD's process and
 * its protocols. Written atomically (temp file + rename) on every change.
 * @module
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BirdProcessStatus } from '../bird/bird-supervisor.ts';
import type { BirdProtocol } from '@percale/daemon';

/** Default location of the status file. */
export const DEFAULT_STATUS_FILE = '/var/run/percale/bgp-status.json';

/** Where in the render → check → install → reload path something failed. */
export type BgpErrorStage = 'render' | 'check' | 'install' | 'reload' | 'datastore' | 'bird';

/** The status document. */
export interface BgpStatus {
  node: string;
  pid: number;
  updatedAt: string;
  /** The datastore syncer's state (`in-sync` once the first snapshot is complete). */
  datastore: string;
  /** True when the installed configuration is the one the datastore asks for and BIRD runs it. */
  healthy: boolean;
  config: {
    path: string;
    /** sha256 of the installed file. */
    sha256: string | undefined;
    installedAt: string | undefined;
    renders: number;
    installs: number;
  };
  lastReload: { at: string; result: string } | undefined;
  /** The last failure, cleared when a later attempt succeeds or the wish goes away. */
  lastError: { stage: BgpErrorStage; message: string; at: string } | undefined;
  /** Datastore state the last render had to leave out (an unknown BGPFilter, IPIP routes BIRD 2 cannot program…). */
  renderWarnings: string[];
  bird: (BirdProcessStatus & { managed: true; socket: string }) | { managed: false; socket: string };
  protocols: BirdProtocol[];
}

/** Writes the status file; a failing write is reported once through `onWriteError`. */
export class StatusFile {
  readonly path: string;
  #failed = false;
  readonly #onWriteError: (err: Error) => void;

  constructor(path: string, onWriteError: (err: Error) => void) {
    this.path = path;
    this.#onWriteError = onWriteError;
  }

  write(status: BgpStatus): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`);
      renameSync(tmp, this.path);
      this.#failed = false;
    } catch (err) {
      if (!this.#failed) this.#onWriteError(err as Error);
      this.#failed = true;
    }
  }
}
