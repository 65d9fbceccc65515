/**
 * KubeControllersConfiguration (cluster-scoped, conventionally `default`): settings of Calico's
 * controllers (node, policy, workload endpoint, service account, namespace, load balancer,
 * migration) and the status the running controllers report back.
 * @module
 */
import { list, map } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { enumOf, int, string } from '../schema/scalars.ts';
import { always, defaulted, pointer, struct } from '../schema/struct.ts';
import type { Issue } from '../schema/types.ts';
import { duration } from '../schema/unions.ts';
import { checkAnnotations, labelKey, labelValue } from '../validation/labels.ts';
import { subdomainName } from '../validation/names.ts';
import { cidrOrIP } from '../validation/net.ts';
import { selectorSyntax } from '../validation/selectors.ts';
import { goRegexp } from './infrastructure-checks.ts';

const enabledDisabled = enumOf(['Enabled', 'Disabled']);

/** `Template`: how the node controller builds automatic host endpoints for matching nodes. */
export const Template = struct('Template', {
  generateName: string({ maxLength: 253, check: subdomainName }),
  interfaceCIDRs: list(string({ check: cidrOrIP }), { unique: true }),
  interfacePattern: string({ check: goRegexp }),
  labels: map(string({ check: labelValue }), { key: labelKey }),
  annotations: map(string()),
  nodeSelector: string({ check: selectorSyntax }),
}, {
  rules: [
    (template, report) => {
      const issues: Issue[] = [];
      checkAnnotations(template.annotations ?? {}, ['annotations'], issues);
      for (const i of issues) report(i.path, i.reason, i.value);
    },
  ],
});

/** `AutoHostEndpointConfig`. */
export const AutoHostEndpointConfig = struct('AutoHostEndpointConfig', {
  autoCreate: enabledDisabled,
  createDefaultHostEndpoint: enabledDisabled,
  templates: list(Template),
});

/** `NodeControllerConfig`. */
export const NodeControllerConfig = struct('NodeControllerConfig', {
  reconcilerPeriod: pointer(duration()),
  syncLabels: enabledDisabled,
  hostEndpoint: pointer(AutoHostEndpointConfig),
  leakGracePeriod: pointer(duration()),
});

const reconcilerOnly = (typeName: string) => struct(typeName, { reconcilerPeriod: pointer(duration()) });

/** `PolicyControllerConfig`. */
export const PolicyControllerConfig = reconcilerOnly('PolicyControllerConfig');
/** `WorkloadEndpointControllerConfig`. */
export const WorkloadEndpointControllerConfig = reconcilerOnly('WorkloadEndpointControllerConfig');
/** `ServiceAccountControllerConfig`. */
export const ServiceAccountControllerConfig = reconcilerOnly('ServiceAccountControllerConfig');
/** `NamespaceControllerConfig`. */
export const NamespaceControllerConfig = reconcilerOnly('NamespaceControllerConfig');

/** `LoadBalancerControllerConfig`. */
export const LoadBalancerControllerConfig = struct('LoadBalancerControllerConfig', {
  assignIPs: defaulted(enumOf(['AllServices', 'RequestedServicesOnly']), 'AllServices'),
});

/** `MigrationControllerConfig`. */
export const MigrationControllerConfig = struct('MigrationControllerConfig', {
  policyNameMigrator: defaulted(enumOf(['Disabled', 'Enabled']), 'Enabled'),
});

/** `ControllersConfig`: one member per controller; an absent controller is disabled. */
export const ControllersConfig = struct('ControllersConfig', {
  node: pointer(NodeControllerConfig),
  policy: pointer(PolicyControllerConfig),
  workloadEndpoint: pointer(WorkloadEndpointControllerConfig),
  serviceAccount: pointer(ServiceAccountControllerConfig),
  namespace: pointer(NamespaceControllerConfig),
  loadBalancer: pointer(LoadBalancerControllerConfig),
  migration: pointer(MigrationControllerConfig),
});

/** `KubeControllersConfigurationSpec`. */
export const KubeControllersConfigurationSpec = struct('KubeControllersConfigurationSpec', {
  logSeverityScreen: enumOf(['None', 'Debug', 'Info', 'Warning', 'Error', 'Fatal', 'Panic']),
  healthChecks: defaulted(enabledDisabled, 'Enabled'),
  etcdV3CompactionPeriod: pointer(duration()),
  prometheusMetricsPort: pointer(int({ min: 0, max: 65535 })),
  controllers: always(ControllersConfig),
  debugProfilePort: pointer(int({ go: 'int32', min: 0, max: 65535 })),
});

/** `KubeControllersConfigurationStatus`: the configuration the controllers run with. */
export const KubeControllersConfigurationStatus = struct('KubeControllersConfigurationStatus', {
  runningConfig: pointer(KubeControllersConfigurationSpec),
  environmentVars: map(string()),
});

/** The KubeControllersConfiguration kind. */
export const KubeControllersConfiguration = defineKind({
  kind: 'KubeControllersConfiguration',
  spec: KubeControllersConfigurationSpec,
  status: KubeControllersConfigurationStatus,
});
