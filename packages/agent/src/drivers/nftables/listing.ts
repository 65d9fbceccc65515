/**
 * Read-back of the agent's table: turns `nft -j list table <family> <name>` output into the
 * driver's view of the kernel — per chain its hook and the hash list from rule comments
 * (rules are never parsed), per set/map its declaration and canonical element texts.
 * @module
 */
import { keyText, valueText, type Json } from './elements.ts';
import type { BaseChainSpec, NftHook, NftSetSpec } from './model.ts';
import { hashFromComment } from './rule-hash.ts';

/** One chain as the kernel holds it. */
export interface ListedChain {
  readonly base?: BaseChainSpec;
  /** One entry per rule: our hash, or '' for a rule without one (foreign or damaged). */
  readonly hashes: string[];
}

/** One set or map as the kernel holds it. */
export interface ListedSet {
  readonly spec: NftSetSpec;
  /** Element key text → value text ('' for plain sets). */
  readonly elements: Map<string, string>;
}

/** The table as listed. */
export interface ListedTable {
  readonly chains: Map<string, ListedChain>;
  readonly sets: Map<string, ListedSet>;
  /** Object kinds present that the driver does not manage (flowtables, counters, …). */
  readonly foreignObjects: string[];
}

function asTypes(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(String);
  return [];
}

type Obj = { [k: string]: Json };

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function listedSet(o: Obj, isMap: boolean): ListedSet {
  const type = asTypes(o.type);
  const flags = asTypes(o.flags);
  const mapType = isMap ? asTypes(o.map).join(' . ') : undefined;
  const spec: NftSetSpec = {
    name: String(o.name),
    type,
    ...(mapType !== undefined ? { map: mapType } : {}),
    ...(flags.includes('interval') ? { interval: true } : {}),
  };
  const elements = new Map<string, string>();
  const elem = o.elem;
  if (Array.isArray(elem)) {
    for (const e of elem) {
      if (isMap && Array.isArray(e) && e.length === 2) elements.set(keyText(type, e[0]!), valueText(mapType!, e[1]!));
      else elements.set(keyText(type, e), '');
    }
  }
  return { spec, elements };
}

/**
 * Parses the JSON listing of one table. Objects of other tables or families are ignored.
 * @throws {SyntaxError} when the text is not JSON
 */
export function parseTableListing(text: string, family: string, table: string): ListedTable {
  const doc = JSON.parse(text) as { nftables?: Json[] };
  const chains = new Map<string, { base?: BaseChainSpec; hashes: string[] }>();
  const sets = new Map<string, ListedSet>();
  const foreignObjects: string[] = [];
  for (const item of doc.nftables ?? []) {
    if (!isObj(item)) continue;
    const [kind] = Object.keys(item);
    if (kind === undefined || kind === 'metainfo' || kind === 'table') continue;
    const o = item[kind];
    if (!isObj(o) || o.family !== family || o.table !== table) continue;
    switch (kind) {
      case 'chain': {
        const name = String(o.name);
        const base: BaseChainSpec | undefined = typeof o.hook === 'string'
          ? { type: String(o.type) as BaseChainSpec['type'], hook: o.hook as NftHook, priority: Number(o.prio), policy: (o.policy === 'drop' ? 'drop' : 'accept') }
          : undefined;
        chains.set(name, { ...(base ? { base } : {}), hashes: [] });
        break;
      }
      case 'rule': {
        const chain = chains.get(String(o.chain));
        chain?.hashes.push(hashFromComment(typeof o.comment === 'string' ? o.comment : undefined));
        break;
      }
      case 'set':
      case 'map': {
        const s = listedSet(o, kind === 'map');
        sets.set(s.spec.name, s);
        break;
      }
      default:
        foreignObjects.push(`${kind} ${String(o.name ?? '')}`.trim());
    }
  }
  return { chains, sets, foreignObjects };
}
