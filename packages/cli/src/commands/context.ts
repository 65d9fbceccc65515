/**
 * What every command receives: the process boundary (`CliIO`: output writers,
 * stdin, environment, datastore factory), the logger, and a way to open the
 * datastore session with the command's `--config` and version-check flags.
 * @module
 */
import type { Resource } from '@percale/api';
import type { ConnectionConfig } from '../config/connection-config.ts';
import type { Logger } from '../logger.ts';
import { DatastoreSession, type ClientFactory } from './session.ts';

/** The outside world of one calicoctl run; tests pass their own. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (for `-f -`). */
  readonly readStdin: () => Promise<string>;
  /** Environment for connection settings; the process environment when omitted. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Builds the datastore client; etcd (via @percale/datastore) when omitted. */
  readonly connect?: ClientFactory;
  /** Waits between update retries; a real 1 s sleep when omitted. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Deadline for etcd's first answer (default 3 s). */
  readonly probeTimeoutMs?: number;
}

/** Per-run services handed to each command. */
export interface CommandContext {
  readonly io: CliIO;
  readonly log: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  /** Creates (but does not open) the datastore session for this command's flags. */
  readonly session: (flags: { readonly config?: string | undefined; readonly allowVersionMismatch?: boolean | undefined }) => DatastoreSession;
}

/** Flags shared by the file-driven commands. */
export interface FileFlags {
  readonly filename?: string | undefined;
  readonly recursive?: boolean | undefined;
  readonly skipEmpty?: boolean | undefined;
  readonly config?: string | undefined;
  readonly namespace?: string | undefined;
  readonly allowVersionMismatch?: boolean | undefined;
}

/** Creates a context whose sessions use `defaultConnect` unless `io.connect` is given. */
export function createContext(io: CliIO, log: Logger, defaultConnect: ClientFactory): CommandContext {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    io,
    log,
    sleep,
    session: (flags) =>
      new DatastoreSession({
        ...(flags.config !== undefined && { configPath: flags.config }),
        allowVersionMismatch: flags.allowVersionMismatch ?? false,
        ...(io.env && { env: io.env }),
        connect: io.connect ?? defaultConnect,
        ...(io.probeTimeoutMs !== undefined && { probeTimeoutMs: io.probeTimeoutMs }),
        log,
      }),
  };
}

/** A resource built from `<KIND> <NAME>` arguments. */
export function resourceFromArgs(kind: string, name: string, namespace: string | undefined, namespaced: boolean): Resource {
  const metadata: Resource['metadata'] = { name };
  if (namespaced && namespace) metadata.namespace = namespace;
  return { apiVersion: 'projectcalico.org/v3', kind, metadata };
}

export type { ConnectionConfig };
