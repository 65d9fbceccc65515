/**
 * Resource naming schemes Calico computes from other fields (currently WorkloadEndpoint names).
 * @module
 */
export {
  workloadEndpointName, workloadEndpointNameMatches, parseWorkloadEndpointName, type WorkloadEndpointIdentifiers,
} from './workload-endpoint-name.ts';
