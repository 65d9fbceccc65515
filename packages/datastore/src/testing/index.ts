/**
 * Test helpers for Store implementations and their users: the conformance suite every
 * `Store` must pass and a recorder for watches. Never imported by production code.
 * @module
 */
export { runStoreConformance, type StoreConformanceOptions } from './store-conformance.ts';
export { WatchRecorder, describeEvent } from './watch-recorder.ts';
export { runKeyValueConformance, type KeyValueConformanceHarness } from './kv-store-conformance.ts';
