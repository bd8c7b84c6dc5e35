// The gateway's naming rule: which name each upstream tool (or prompt) goes by behind one
// endpoint. Pure and order-free, so a gateway, its inventory and a replay of its log all agree.

/** What joins a server's name to its tool's in a final name: `<server>__<tool>`. */
export const NAME_SEPARATOR = '__';

/** The longest tool name MCP allows (spec 2025-11-25: 1 to 128 characters). */
export const TOOL_NAME_MAX = 128;

/** One tool (or prompt) as a server listed it. */
export interface ListedName {
  /** The server's name, as the configuration (the `mcpServers` key) names it. */
  readonly server: string;
  /** The name the server listed it under. */
  readonly name: string;
}

// With the `u` flag a character outside the Basic Multilingual Plane (an emoji) is one match,
// so it becomes one `_`, not two.
const UNSAFE = /[^A-Za-z0-9_.-]/gu;

/**
 * Make one part of a name safe for MCP's tool-name rule: every character other than an ASCII
 * letter, a digit, `_`, `-` or `.` becomes `_`, and the empty text becomes `_`. It does not
 * shorten: {@link assignNames} truncates the joined name.
 *
 * @example
 * safeNamePart('my server/v2'); // 'my_server_v2'
 */
export function safeNamePart(text: string): string {
  return text === '' ? '_' : text.replace(UNSAFE, '_');
}

interface Entry {
  readonly server: string;
  readonly name: string;
  readonly base: string;
  /** The name joined as listed, before making it safe. */
  readonly plain: string;
}

const withSuffix = (base: string, n: number): string => {
  const suffix = `-${n}`;
  return base.slice(0, TOOL_NAME_MAX - suffix.length) + suffix;
};

/**
 * The final name of every listed (server, name), as a map server -> (listed name -> final
 * name). The rule, exactly:
 *
 * 1. Each distinct (server, name) pair counts once; they are taken in code-unit order of the
 *    server, then of the name, never in listing order.
 * 2. Its **base** is `safeNamePart(prefix) + '__' + safeNamePart(name)`, cut to its first 128
 *    characters, where the prefix is the server's name unless `prefixes` gives it another; with
 *    the prefix `''` the base is `safeNamePart(name)` alone.
 * 3. A base that is not in `reserved` goes to one of the pairs that share it: the first whose
 *    joined, unsanitized form (`prefix + '__' + name`) equals the base, else the first of all.
 * 4. Every other pair, in the order of rule 1, gets its base cut to leave room for a suffix, and
 *    the suffix `-2`, `-3`, …: the first one not reserved, not a base given out by rule 3 and
 *    not given to an earlier pair.
 *
 * So every final name matches `^[A-Za-z0-9_.-]{1,128}$`, no two are equal, none is reserved,
 * the same pairs in any order (duplicates too) give the same map, and a pair whose base no other
 * pair and no reserved name shares keeps that base whatever else is listed. Tools and prompts
 * are separate lists in MCP: name each kind with its own call.
 *
 * @example
 * assignNames([
 *   { server: 'fs', name: 'a b' },
 *   { server: 'fs', name: 'a/b' },
 *   { server: 'git', name: 'log' },
 * ]);
 * // Map { 'fs' => Map { 'a b' => 'fs__a_b', 'a/b' => 'fs__a_b-2' },
 * //       'git' => Map { 'log' => 'git__log' } }
 */
export function assignNames(
  listed: Iterable<ListedName>,
  reserved: Iterable<string> = [],
  /**
   * What goes before `__` for a server, where it is not the server's own name; `''` puts
   * nothing before the tool's name (a gateway that replaces a single proxy keeps its names).
   */
  prefixes: ReadonlyMap<string, string> = new Map(),
): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const names = new Map<string, Set<string>>();
  for (const { server, name } of listed) {
    const ofServer = names.get(server) ?? new Set<string>();
    ofServer.add(name);
    names.set(server, ofServer);
  }
  const entries: Entry[] = [];
  // The default sort is code-unit order (not `localeCompare`): the same in every locale.
  for (const server of [...names.keys()].sort()) {
    for (const name of [...names.get(server)!].sort()) {
      // Only a prefix given as '' drops it: a server named '' still has its `_` part.
      const prefix = prefixes.get(server) ?? server;
      const bare = prefixes.get(server) === '';
      const joined = (part: string, tool: string) =>
        bare ? tool : `${part}${NAME_SEPARATOR}${tool}`;
      entries.push({
        server,
        name,
        base: joined(safeNamePart(prefix), safeNamePart(name)).slice(0, TOOL_NAME_MAX),
        plain: joined(prefix, name),
      });
    }
  }

  const taken = new Set(reserved);
  const finals = new Map<Entry, string>();
  const sharing = new Map<string, Entry[]>();
  for (const entry of entries) {
    const group = sharing.get(entry.base);
    if (group) group.push(entry);
    else sharing.set(entry.base, [entry]);
  }
  // Every base is given out before any suffix, so a suffixed name can never take the base of a
  // pair that has no rival: that pair's name stays put when other servers come and go.
  const winners: string[] = [];
  for (const [base, group] of sharing) {
    if (taken.has(base)) continue;
    finals.set(group.find((entry) => entry.plain === base) ?? group[0]!, base);
    winners.push(base);
  }
  for (const base of winners) taken.add(base);

  // Per base, the next suffix worth trying: names only ever become taken, never free again.
  const nextSuffix = new Map<string, number>();
  for (const entry of entries) {
    if (finals.has(entry)) continue;
    let n = nextSuffix.get(entry.base) ?? 2;
    while (taken.has(withSuffix(entry.base, n))) n += 1;
    const name = withSuffix(entry.base, n);
    taken.add(name);
    finals.set(entry, name);
    nextSuffix.set(entry.base, n + 1);
  }

  const result = new Map<string, Map<string, string>>();
  for (const entry of entries) {
    const ofServer = result.get(entry.server) ?? new Map<string, string>();
    ofServer.set(entry.name, finals.get(entry)!);
    result.set(entry.server, ofServer);
  }
  return result;
}
