/**
 * IPAMConfiguration (cluster-scoped, conventionally named `default`): global Calico IPAM
 * settings. `strictAffinity` and `autoAllocateBlocks` are plain Go bools, so they are always
 * written (`false` when absent) and their CRD defaults never apply.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { bool, enumOf, int } from '../schema/scalars.ts';
import { always, pointer, struct } from '../schema/struct.ts';

/** `IPAMConfigurationSpec`. */
export const IPAMConfigurationSpec = struct('IPAMConfigurationSpec', {
  strictAffinity: always(bool()),
  maxBlocksPerHost: int({ go: 'int32', min: 0, max: 1_000_000 }),
  autoAllocateBlocks: always(bool()),
  kubeVirtVMAddressPersistence: pointer(enumOf(['Enabled', 'Disabled'])),
  ipCooldownSeconds: int({ go: 'int32', min: 0, max: 1200 }),
});

/** The IPAMConfiguration kind. */
export const IPAMConfiguration = defineKind({
  kind: 'IPAMConfiguration',
  spec: IPAMConfigurationSpec,
});
