/**
 * The BIRD 2 configuration renderer: one pure function from the datastore state (Nodes,
 * BGPPeers, IPPools, BGPConfigurations, BGPFilters) to the text of one host's bird.conf.
 * The daemon (`../daemon/`) feeds it, checks the result with `bird -p -c` and reloads BIRD.
 * @module
 */
export { renderBirdConfig, renderBird, hashRouterId, type BgpInputs, type RenderedBirdConfig } from './render-bird-config.ts';
export { BgpConfigError, isBgpConfigError } from './bgp-config-error.ts';
export { computePeerings, peeringName, type Peering, type PeeringInputs } from './compute-peerings.ts';
export { DEFAULT_AS_NUMBER, type SecretRef } from './bgp-model.ts';
