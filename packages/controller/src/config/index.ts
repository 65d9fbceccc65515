/**
 * The controller's configuration: neutron.conf read as neutron-server reads it, and the
 * region naming rules every other part of the controller keys its data by.
 * @module
 */
export { loadControllerConfig, normaliseKeystoneUrl, DEFAULT_NEUTRON_PORT, type LoadControllerConfigOptions } from './load-controller-config.ts';
export { DEFAULT_BW_BURST, DEFAULT_PR_BURST } from './controller-config.ts';
export type {
  ControllerConfig, EtcdConfig, QosConfig, KeystoneCredentials, AuthConfig, ElectionConfig, CompactionConfig, MessagingConfig,
} from './controller-config.ts';
export { ConfigError, isConfigError, describeConfigProblem, type ConfigProblem } from './config-error.ts';
export {
  regionString, regionNamespace, regionProblem, NO_REGION, REGION_PREFIX, NO_REGION_NAMESPACE, REGION_NAMESPACE_PREFIX, MAX_REGION_LENGTH,
} from './region.ts';
export { parseOsloIni, normaliseSectionName, type OsloIniFile, type OsloIniValue } from './oslo-ini.ts';
export { OsloConfig, type OsloValue } from './oslo-config.ts';
