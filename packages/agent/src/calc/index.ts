/**
 * The calculation graph's public face: `CalcGraph` turns datastore watch events into the
 * dataplane messages of `../messages.ts`. Everything else in this folder is internal.
 * @module
 */
export { CalcGraph, type CalcGraphOptions, type CalcGraphStats } from './calc-graph.ts';
export type { WorkloadSourceSpoofing } from './validation-filter.ts';
