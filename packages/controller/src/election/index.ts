/**
 * Mastership among a region's controllers: the leader election (spec §9.4) and the
 * master-only etcd compaction (§9.5).
 * @module
 */
export {
  LeaderElector,
  electionKey,
  LEGACY_ELECTION_KEY,
  DEFAULT_ELECTION_TTL_SECONDS,
  DEFAULT_ELECTION_REFRESH_SECONDS,
  type LeaderElectorOptions,
  type LeaderElectorEvents,
} from './leader-elector.ts';
export { EtcdCompactor, checkEtcdCompaction, COMPACTION_LAST_KEY, COMPACTION_TRIGGER_KEY, type CompactionDeps, type CompactionCheck, type EtcdCompactorOptions } from './etcd-compaction.ts';
