// @internal Many servers' lists under the gateway's names: `<server>__<tool>`, made safe, with
// deterministic collision suffixes (`assignNames`), and the way back from a name to its server.
import { assignNames } from '../../projections/toolNames.js';

/** Where a gateway name leads. */
export interface NamedEntry<T> {
  readonly server: string;
  /** The server's own name for it. */
  readonly upstreamName: string;
  /** The server's definition, under the gateway name. */
  readonly item: T;
}

/** The named view of some servers' lists. */
export interface NamedCatalog<T> {
  /** Every item of every list, renamed, servers in configuration order. */
  readonly items: readonly T[];
  readonly byName: ReadonlyMap<string, NamedEntry<T>>;
  /** The way back: per server, its own name of each item -> the gateway name. */
  readonly names: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/**
 * Name every item of `lists` (per server, as it listed them; undefined for no list yet); the same
 * lists in any order give the same names, and `reserved` names are never given out.
 */
export function nameCatalog<T extends { readonly name: string }>(
  lists: readonly (readonly [server: string, items: readonly T[] | undefined])[],
  reserved: readonly string[],
  /** What names start with, per server, where it is not the server's name. */
  prefixes: ReadonlyMap<string, string> = new Map(),
): NamedCatalog<T> {
  const listed: { server: string; name: string }[] = [];
  for (const [server, items] of lists) {
    for (const item of items ?? []) listed.push({ server, name: item.name });
  }
  const names = assignNames(listed, reserved, prefixes);
  const items: T[] = [];
  const byName = new Map<string, NamedEntry<T>>();
  for (const [server, list] of lists) {
    const own = names.get(server);
    for (const original of list ?? []) {
      const name = own?.get(original.name);
      // A server that lists one name twice: the first definition stands, as for one server.
      if (name === undefined || byName.has(name)) continue;
      const item = { ...original, name };
      items.push(item);
      byName.set(name, { server, upstreamName: original.name, item });
    }
  }
  return { items, byName, names };
}
