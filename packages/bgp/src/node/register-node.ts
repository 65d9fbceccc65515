/**
 * Node registration at start-up: creates or updates this host's Node resource with its BGP
 * addresses and AS number, as calico-node's start-up does. Only `spec.bgp.ipv4Address`,
 * `ipv6Address` and `asNumber` are ours; every other field (labels, route-reflector cluster
 * id, the agent's VXLAN tunnel fields) is kept. Writes are compare-and-swap, retried on conflict.
 * @module
 */
import { API_VERSION, type Resource } from '@percale/api';
import { isAlreadyExists, isNotFound, isRevisionConflict, type ResourceClient } from '@percale/datastore';
import type { Logger } from '@percale/daemon';
import { AddressConfigError, autodetectAddress, explicitAddress, parseAutodetectMethod, SYSTEM_DETECT_DEPS, type DetectDeps } from './detect-address.ts';

/** What to do with one address family: set it, remove it, or leave what is stored. */
export type AddressChoice = { set: string } | 'remove' | 'keep';

/** The fields registration owns; `asNumber: undefined` leaves the stored value. */
export interface NodeRegistration {
  name: string;
  ipv4: AddressChoice;
  ipv6: AddressChoice;
  asNumber?: number | 'remove';
}

/** Registration gave up after too many conflicting writes. */
export class NodeRegistrationError extends Error {
  readonly code = 'BGP_NODE_REGISTRATION_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NodeRegistrationError';
  }
}

/** The environment variables calico-node reads for its Node (`IP`, `IP6`, `AS`, autodetection methods). */
export interface NodeEnvironment {
  IP?: string;
  IP6?: string;
  AS?: string;
  IP_AUTODETECTION_METHOD?: string;
  IP6_AUTODETECTION_METHOD?: string;
}

/**
 * Resolves the environment into a registration, given the stored Node's current addresses.
 * `IP`: unset keeps a stored address or else autodetects; `autodetect` always detects; `none`
 * removes. `IP6`: unset keeps what is stored (IPv6 is opt-in, as in calico-node).
 * @throws {AddressConfigError}
 */
export async function resolveNodeRegistration(
  name: string, env: NodeEnvironment, stored: { ipv4?: string; ipv6?: string }, deps: DetectDeps = SYSTEM_DETECT_DEPS,
): Promise<NodeRegistration> {
  const choose = async (family: 4 | 6, value: string | undefined, method: string | undefined, storedValue: string | undefined): Promise<AddressChoice> => {
    const variable = family === 4 ? 'IP' : 'IP6';
    const v = value?.trim() ?? '';
    if (v === 'none') return 'remove';
    if (v === '' && (family === 6 || storedValue)) return 'keep';
    if (v === '' || v === 'autodetect') {
      const methodVar = family === 4 ? 'IP_AUTODETECTION_METHOD' : 'IP6_AUTODETECTION_METHOD';
      const found = await autodetectAddress(family, parseAutodetectMethod(method ?? '', methodVar), deps);
      if (!found) throw new AddressConfigError(`${variable}: autodetection (${method || 'first-found'}) found no IPv${family} address on this host`);
      return { set: found };
    }
    return { set: explicitAddress(v, family, variable, deps) };
  };
  const reg: NodeRegistration = {
    name,
    ipv4: await choose(4, env.IP, env.IP_AUTODETECTION_METHOD, stored.ipv4),
    ipv6: await choose(6, env.IP6, env.IP6_AUTODETECTION_METHOD, stored.ipv6),
  };
  const as = env.AS?.trim();
  if (as) {
    if (!/^\d+(\.\d+)?$/.test(as)) throw new AddressConfigError(`AS: "${as}" is not an AS number`);
    // asdot notation (1.10) is high*65536+low, as Calico's numorstring accepts.
    const [hi, lo] = as.split('.').map(Number) as [number, number | undefined];
    reg.asNumber = lo === undefined ? hi : hi * 65536 + lo;
  }
  return reg;
}

/** Applies a registration to a stored Node (or a new one); returns undefined when nothing changes. */
export function applyRegistration(existing: Resource | undefined, reg: NodeRegistration): Resource | undefined {
  const node: Resource = existing ? structuredClone(existing) : { apiVersion: API_VERSION, kind: 'Node', metadata: { name: reg.name }, spec: {} };
  const spec = (node.spec ??= {}) as Record<string, unknown>;
  const bgp = { ...(spec['bgp'] as Record<string, unknown> | undefined) };
  const set = (field: string, choice: AddressChoice) => {
    if (choice === 'remove') delete bgp[field];
    else if (choice !== 'keep') bgp[field] = choice.set;
  };
  set('ipv4Address', reg.ipv4);
  set('ipv6Address', reg.ipv6);
  if (reg.asNumber === 'remove') delete bgp['asNumber'];
  else if (reg.asNumber !== undefined) bgp['asNumber'] = reg.asNumber;
  // "Spec.BGP should not be empty": an empty block is dropped instead.
  if (Object.keys(bgp).length > 0) spec['bgp'] = bgp;
  else delete spec['bgp'];
  if (existing && JSON.stringify(existing.spec ?? {}) === JSON.stringify(node.spec)) return undefined;
  return node;
}

/**
 * Creates or updates the Node so that it carries `reg`; resolves to the stored Node.
 * `resolve` turns the stored addresses into a registration (it runs again after a conflict).
 * @throws {NodeRegistrationError} after `maxAttempts` conflicting writes.
 */
export async function registerNode(
  client: ResourceClient, name: string, resolve: (stored: { ipv4?: string; ipv6?: string }) => Promise<NodeRegistration>,
  log: Logger, maxAttempts = 10,
): Promise<Resource> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let existing: Resource | undefined;
    try {
      existing = await client.get({ kind: 'Node', name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const storedBgp = (existing?.spec as { bgp?: { ipv4Address?: string; ipv6Address?: string } } | undefined)?.bgp ?? {};
    const reg = await resolve({ ...(storedBgp.ipv4Address && { ipv4: storedBgp.ipv4Address }), ...(storedBgp.ipv6Address && { ipv6: storedBgp.ipv6Address }) });
    const wanted = applyRegistration(existing, reg);
    if (!wanted) {
      log.info('Node resource already up to date', { node: name, bgp: (existing!.spec as Record<string, unknown>)['bgp'] });
      return existing!;
    }
    try {
      const stored = existing ? await client.update(wanted) : await client.create(wanted);
      log.info(existing ? 'Updated the Node resource' : 'Created the Node resource', { node: name, bgp: (stored.spec as Record<string, unknown>)['bgp'] });
      return stored;
    } catch (err) {
      if (!isRevisionConflict(err) && !isAlreadyExists(err)) throw err;
      log.info('Node resource changed while registering; retrying', { node: name, attempt });
    }
  }
  throw new NodeRegistrationError(`Registering Node "${name}" failed: ${maxAttempts} attempts conflicted with concurrent writers`);
}

export { AddressConfigError };
