/**
 * The agent's configuration: the parameter table, the loader with Felix's precedence, and
 * the conversion of FelixConfiguration/ClusterInformation resources into raw values.
 * @module
 */
export { PARAMS, RESTART_FREE_PARAMS, paramName, type AgentConfig, type ParamName, type ParamDecl } from './schema.ts';
export {
  DEFAULT_CONFIG_FILE, ConfigError, changedParams, describeProblem, readLocalConfigSources, resolveConfig,
  type ConfigProblem, type ConfigSource, type EtcdConnection, type LocalConfigSources, type ReadLocalOptions, type ResolvedConfig,
} from './load-config.ts';
export { datastoreConfigSources, felixConfigurationValues, clusterInformationValues, goDurationSeconds, type DatastoreConfigSources, type DatastoreConfigInputs } from './datastore-config.ts';
