/**
 * @percale/bgp: route distribution with BIRD 2 — Node registration, the BIRD configuration
 * rendered from the datastore, and the daemon that keeps BIRD's configuration current. The
 * client of BIRD's control socket lives in @percale/daemon (calicoctl node status uses it too).
 * @module
 */
export {
  renderBirdConfig, renderBird, hashRouterId, computePeerings, peeringName, BgpConfigError, isBgpConfigError, DEFAULT_AS_NUMBER,
  type BgpInputs, type RenderedBirdConfig, type Peering, type PeeringInputs, type SecretRef,
} from './render/index.ts';
export { BirdSupervisor, type BirdSupervisorOptions, type BirdProcessStatus } from './bird/bird-supervisor.ts';
export { BirdConfigRejectedError, checkBirdConfig } from './bird/check-bird-config.ts';
export { BgpDaemon, BGP_SYNCER_KINDS, type BgpDaemonOptions, type BgpSnapshot, type BirdPort } from './daemon/bgp-daemon.ts';
export { ConfigInstaller, type ConfigInstallerOptions } from './daemon/config-installer.ts';
export { DEFAULT_STATUS_FILE, type BgpStatus, type BgpErrorStage } from './daemon/status-file.ts';
export { BgpSettingsError, loadBgpSettings, type BgpSettings } from './daemon/bgp-settings.ts';
export {
  registerNode, resolveNodeRegistration, applyRegistration, NodeRegistrationError, AddressConfigError,
  type NodeRegistration, type NodeEnvironment, type AddressChoice,
} from './node/register-node.ts';
export { autodetectAddress, parseAutodetectMethod, type AutodetectMethod, type InterfaceAddress } from './node/detect-address.ts';
