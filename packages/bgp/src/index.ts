/**
 * @percale/bgp: route distribution with BIRD 2 — Node registration, the BIRD configuration
 * rendered from the datastore, and the daemon that keeps BIRD's configuration current.
 * @module
 */
export {};
