/**
 * etcd compaction by the region's master (spec §9.5), networking-calico's protocol so that
 * Percale and Python controllers share it: `/calico/compaction/v1/last` holds the last
 * compaction revision (its mod revision marks the last check) and
 * `/calico/compaction/v1/trigger`, on a lease of one period, says the next check is not due
 * yet. Each due check compacts so as to keep at least the last period's history and at
 * least `minRevisions` revisions. `checkEtcdCompaction` is one check; `EtcdCompactor` runs
 * them every period while this controller is the master.
 * @module
 */
import { SILENT_LOGGER, type Logger } from '@percale/daemon';
import type { KeyValueStore } from '@percale/datastore';

/** K14: the last compaction revision; its mod revision is the revision of the last check. */
export const COMPACTION_LAST_KEY = '/calico/compaction/v1/last';
/** K15: present (on a lease of one period) while the next check is not due. */
export const COMPACTION_TRIGGER_KEY = '/calico/compaction/v1/trigger';

export interface CompactionDeps {
  kv: Pick<KeyValueStore, 'get' | 'put' | 'grantLease' | 'leaseTimeToLive' | 'snapshot'>;
  /** Compacts etcd's history before `revision` (`EtcdStore.compact`); rejects when etcd refuses. */
  compact(revision: string): Promise<void>;
  /** `etcd_compaction_period_mins` (> 0 here; 0 disables compaction and is the caller's business). */
  periodMinutes: number;
  /** `etcd_compaction_min_revisions`: history always kept. */
  minRevisions: number;
  /** Written to the trigger key (default this process's PID). */
  pid?: number;
  log: Logger;
}

/** What one check did. */
export interface CompactionCheck {
  /** The revision compaction was requested at, if it was. */
  requestedAt?: number;
  /** The value written to the `last` key, or undefined when the check was not due (nothing written). */
  recorded?: number;
}

/**
 * Checks whether compaction is due and, if so, requests it and records the outcome.
 * @throws whatever the datastore throws (the caller logs it and tries at the next period).
 */
export async function checkEtcdCompaction(deps: CompactionDeps): Promise<CompactionCheck> {
  const { kv, log } = deps;
  const periodSeconds = Math.round(deps.periodMinutes * 60);
  const record = async (revision: number, requestedAt?: number): Promise<CompactionCheck> => {
    await kv.put(COMPACTION_LAST_KEY, String(revision));
    await kv.put(COMPACTION_TRIGGER_KEY, String(deps.pid ?? process.pid), { lease: await kv.grantLease(periodSeconds) });
    return { recorded: revision, ...(requestedAt !== undefined && { requestedAt }) };
  };

  const trigger = await kv.get(COMPACTION_TRIGGER_KEY);
  if (trigger) {
    if (!trigger.lease) {
      log.warn(`Compaction trigger ${COMPACTION_TRIGGER_KEY} has no lease; starting compaction bookkeeping afresh`);
      return record(0);
    }
    const ttl = await kv.leaseTimeToLive(trigger.lease);
    if (ttl !== undefined) {
      if (ttl > periodSeconds) {
        log.warn(`Unreasonably large compaction trigger TTL (${ttl} s > ${periodSeconds} s); starting compaction bookkeeping afresh`);
        return record(0);
      }
      log.info(`Compaction trigger TTL is ${ttl} s: not due yet`);
      return {};
    }
    log.info('Compaction trigger lease expired as we were checking it');
  }

  const last = await kv.get(COMPACTION_LAST_KEY);
  if (!last) {
    log.info('First compaction check: recording the current revision');
    return record(0);
  }
  const lastCompaction = Number(last.value);
  const lastCheck = Number(last.modRevision);
  if (!Number.isSafeInteger(lastCompaction) || lastCompaction < 0) {
    log.warn(`Bad last compaction revision ${JSON.stringify(last.value)} in ${COMPACTION_LAST_KEY}; starting afresh`);
    return record(0);
  }
  const current = Number((await kv.snapshot(COMPACTION_LAST_KEY)).revision);
  log.info(`Last compaction ${lastCompaction}, last check ${lastCheck}, current etcd revision ${current}`);
  if (lastCompaction > current) {
    // A restored backup: revisions went back.
    log.info(`Bogus last compaction revision (${lastCompaction} > ${current}); starting afresh`);
    return record(0);
  }
  if (current <= deps.minRevisions) {
    log.info(`Not enough revisions to compact yet (${current} <= ${deps.minRevisions})`);
    return record(lastCompaction);
  }
  // Keep the whole last period's history, and never less than minRevisions.
  const keep = Math.max(deps.minRevisions, current - lastCheck);
  const compactAt = current - keep;
  if (compactAt <= lastCompaction) {
    log.info(`No compactable history yet (${compactAt} <= ${lastCompaction})`);
    return record(lastCompaction);
  }
  log.info(`Requesting etcd compaction at revision ${compactAt}`);
  try {
    await deps.compact(String(compactAt));
  } catch (err) {
    // Most likely someone else (libcalico-go, an operator) compacted at or past it. Pretend
    // it was at the current revision: the next attempt waits a full period and minRevisions.
    log.info(`Someone else has requested etcd compaction: ${err instanceof Error ? err.message : String(err)}`);
    return record(current);
  }
  return record(compactAt, compactAt);
}

export interface EtcdCompactorOptions extends Omit<CompactionDeps, 'log'> {
  log?: Logger;
}


/**
 * Runs `checkEtcdCompaction` now and then every period, while started (the application
 * starts it when this controller becomes the master and stops it when it stops being one).
 * A period of 0 disables it.
 */
export class EtcdCompactor {
  readonly #deps: CompactionDeps;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #started = false;

  /** @throws {RangeError} for a negative period or minimum. */
  constructor(options: EtcdCompactorOptions) {
    if (!(options.periodMinutes >= 0)) throw new RangeError(`Cannot schedule etcd compaction every ${options.periodMinutes} minutes: the period must be 0 (off) or more`);
    if (!Number.isInteger(options.minRevisions) || options.minRevisions < 0) {
      throw new RangeError(`Cannot keep ${options.minRevisions} revisions of etcd history: need a whole number, 0 or more`);
    }
    this.#deps = { ...options, log: options.log ?? SILENT_LOGGER };
  }

  start(): void {
    if (this.#started || this.#deps.periodMinutes === 0) return;
    this.#started = true;
    this.#check();
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    await this.#checking;
  }

  #check(): void {
    this.#checking = checkEtcdCompaction(this.#deps).then(
      () => undefined,
      (err: unknown) => this.#deps.log.warn('Failed to check or request etcd compaction', { error: err instanceof Error ? err.message : String(err) }),
    );
    void this.#checking.then(() => {
      if (this.#started) this.#timer = setTimeout(() => this.#check(), this.#deps.periodMinutes * 60_000);
    });
  }
}
