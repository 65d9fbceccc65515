/**
 * Status the agent writes to the datastore: its heartbeat and per-endpoint status keys.
 * @module
 */
export { ProcessStatusReporter, rfc3339, type ProcessStatusReporterOptions, type StatusReport } from './process-status-reporter.ts';
export { EndpointStatusReporter, type EndpointStatus, type EndpointStatusReporterOptions } from './endpoint-status-reporter.ts';
export {
  activeStatusKey, endpointStatusKey, endpointStatusPrefix, escapeKeyPart, lastReportedStatusKey, regionString, unescapeKeyPart, type EndpointStatusID,
} from './status-keys.ts';
