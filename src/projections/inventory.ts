// The inventory: every server a gateway is configured with, and the tools an agent would see
// on it now, or a notice saying why there are none. Folded from the log alone, so reading it
// never connects, starts or lists anything, and a replay shows what the host showed.
import { messageOf } from '../errors.js';
import type { ConfiguredServer, EventOf, ToolflightEvent } from '../events/types.js';
import { assignNames, type ListedName } from './toolNames.js';

/** How many stderr lines of each server the inventory keeps: enough to say why it exited. */
const STDERR_TAIL = 8;

type UpstreamStateName = 'connecting' | 'up' | 'down' | 'exited' | 'closed';
const UPSTREAM_STATES: ReadonlySet<string> = new Set<UpstreamStateName>([
  'connecting',
  'up',
  'down',
  'exited',
  'closed',
]);

/** A tool as an upstream listed it: an object with at least a string `name`. */
export interface InventoryToolDefinition {
  readonly name: string;
  readonly [field: string]: unknown;
}

/** What the log says about one server; the fold replaces it whole, never edits it. */
export interface InventoryServerRecord {
  /** `never` until its first `upstream.changed`. */
  readonly state: UpstreamStateName | 'never';
  readonly since?: number;
  readonly retryAt?: number;
  readonly reason?: string;
  /** It was `up` at least once: a server without a list is then waiting for its list. */
  readonly wasUp: boolean;
  readonly stderrTail: readonly string[];
  /** Its last `catalog.listed`, definitions without a string name (or repeating one) left out. */
  readonly list?: {
    readonly tools: readonly InventoryToolDefinition[];
    readonly fingerprint: string;
    readonly config?: string;
    readonly listedAt: number;
    readonly kept: boolean;
  };
}

/**
 * The inventory's fold state: immutable, so a state once returned never changes, and an event
 * that does not concern the inventory returns the very same object.
 */
export interface InventoryState {
  /** The `at` of the last event that changed the inventory. */
  readonly at?: number;
  /** The servers of the last `gateway.configured`, in its order; undefined before one. */
  readonly configured?: readonly ConfiguredServer[];
  /** Every server the log named, by name. */
  readonly servers: ReadonlyMap<string, InventoryServerRecord>;
  /** The host-wide context (the last `context.changed` without a capture). */
  readonly context?: unknown;
  /** Each capture's own context, by capture key. */
  readonly contexts: ReadonlyMap<string, unknown>;
}

/** Why a server shows no tools. */
export type InventoryNotice = 'mcp-not-yet-connected' | 'mcp-not-yet-listed' | 'mcp-stale-catalog';

/** One tool as an agent would see it. */
export interface InventoryTool {
  /** The name agents call it by: `<server>__<tool>`, as `assignNames` gives it. */
  readonly name: string;
  readonly server: string;
  /** The name its server listed it under. */
  readonly tool: string;
  /** The server's definition, with `name` replaced by the final name. */
  readonly definition: InventoryToolDefinition;
}

/** One server of the inventory. */
export interface InventoryServer {
  readonly server: string;
  /** In the configuration; false for a server only the log names. */
  readonly configured: boolean;
  readonly transport?: ConfiguredServer['transport'];
  /** As the last `upstream.changed` said; `never` when none did. */
  readonly state: InventoryServerRecord['state'];
  /** When it entered this state. */
  readonly since?: number;
  /** When it next tries to connect (or to start its process), if it said so. */
  readonly retryAt?: number;
  /** Why it went down or exited. */
  readonly reason?: string;
  /** Its last stderr lines, oldest first (at most 8). */
  readonly stderrTail: readonly string[];
  /** When its catalog was listed, and how old that list was at the inventory's `at`. */
  readonly listedAt?: number;
  readonly catalogAgeMs?: number;
  /** The listed catalog's fingerprint. */
  readonly fingerprint?: string;
  /** The catalog is the copy an outbox kept from an earlier run. */
  readonly kept?: true;
  readonly notice?: InventoryNotice;
  /** The narrower threw (its message): no tools are shown for this server. */
  readonly narrowError?: string;
  /** Its visible tools, in the server's listing order; empty with a notice. */
  readonly tools: readonly InventoryTool[];
}

/** The inventory at one moment, for one capture or the whole host. */
export interface Inventory {
  /** The time catalog ages are measured at. */
  readonly at?: number;
  readonly capture?: string;
  /** Configured servers in configuration order, then servers only the log names, by name. */
  readonly servers: readonly InventoryServer[];
  /** Every visible tool, sorted by final name. */
  readonly tools: readonly InventoryTool[];
}

/** How to read the inventory. */
export interface InventoryOptions {
  /** Now, for catalog ages. Default: the `at` of the last event that changed the inventory. */
  readonly at?: number;
  /** Narrow with this capture's own context (if it has one, else the host-wide one). */
  readonly capture?: string;
  /** The configuration as read now (a file): replaces the log's last `gateway.configured`. */
  readonly servers?: readonly ConfiguredServer[];
  /**
   * Which tools an agent sees in a context, as a gateway's narrower decides (so one can be
   * passed as is): it sees every shown server's definitions at once, under their final names,
   * and only names it returns that a server listed count: it can hide, never add or rename. If
   * it throws, no server shows a tool, and each that had some says why in `narrowError`.
   */
  narrow?(
    tools: readonly InventoryToolDefinition[],
    context: unknown,
  ): Iterable<{ readonly name?: unknown }>;
  /** Final names never given out (the host's own tools). */
  readonly reserved?: Iterable<string>;
}

const EMPTY: InventoryState = Object.freeze({ servers: new Map(), contexts: new Map() });

/** The inventory before any event. */
export function emptyInventory(): InventoryState {
  return EMPTY;
}

const NEW_SERVER: InventoryServerRecord = { state: 'never', wasUp: false, stderrTail: [] };

/**
 * Fold one event: `gateway.configured`, `catalog.listed`, `upstream.changed` and
 * `context.changed` make a new state; any other event returns `state` itself.
 *
 * @example
 * const state = store.read().reduce(foldInventory, emptyInventory());
 */
export function foldInventory(state: InventoryState, event: ToolflightEvent): InventoryState {
  switch (event.type) {
    case 'gateway.configured':
      return { ...state, at: event.at, configured: configuredServers(event.data.servers) };
    case 'catalog.listed':
      return listed(state, event);
    case 'upstream.changed':
      return changed(state, event);
    case 'context.changed':
      return contextChanged(state, event);
    default:
      return state;
  }
}

function configuredServers(servers: readonly unknown[]): ConfiguredServer[] {
  // The codec checks only that `servers` is an array: a malformed entry names nothing.
  return servers.filter(
    (server): server is ConfiguredServer =>
      typeof server === 'object' &&
      server !== null &&
      typeof (server as ConfiguredServer).name === 'string' &&
      typeof (server as ConfiguredServer).config === 'string',
  );
}

const withServer = (
  state: InventoryState,
  at: number,
  name: string,
  record: InventoryServerRecord,
): InventoryState => ({ ...state, at, servers: new Map(state.servers).set(name, record) });

function listed(state: InventoryState, event: EventOf<'catalog.listed'>): InventoryState {
  const { server, tools, fingerprint, kept, config } = event.data;
  const seen = new Set<string>();
  const definitions: InventoryToolDefinition[] = [];
  for (const tool of tools) {
    const name: unknown = (tool as { name?: unknown } | null)?.name;
    if (typeof tool !== 'object' || typeof name !== 'string' || seen.has(name)) continue;
    seen.add(name);
    definitions.push(tool as InventoryToolDefinition);
  }
  const list = {
    tools: definitions,
    fingerprint,
    ...(config === undefined ? {} : { config }),
    listedAt: event.at,
    kept: kept === true,
  };
  const record = state.servers.get(server) ?? NEW_SERVER;
  return withServer(state, event.at, server, { ...record, list });
}

function changed(state: InventoryState, event: EventOf<'upstream.changed'>): InventoryState {
  const { server, state: next, reason, retryInMs, stderr } = event.data;
  const record = state.servers.get(server) ?? NEW_SERVER;
  // A stderr line is noted under the state the server is in: it is not a change of state.
  if (stderr !== undefined) {
    const stderrTail = [...record.stderrTail.slice(1 - STDERR_TAIL), stderr];
    return withServer(state, event.at, server, { ...record, stderrTail });
  }
  // A state this version does not know (a newer writer's) is left out, not shown as another.
  if (!UPSTREAM_STATES.has(next)) return state;
  const { list, stderrTail } = record;
  return withServer(state, event.at, server, {
    state: next as UpstreamStateName,
    // Another `down` (a new retry time) is the same stretch of being down.
    since: next === record.state ? record.since : event.at,
    ...(retryInMs === undefined ? {} : { retryAt: event.at + retryInMs }),
    ...(reason === undefined ? {} : { reason }),
    wasUp: record.wasUp || next === 'up',
    stderrTail,
    ...(list === undefined ? {} : { list }),
  });
}

function contextChanged(state: InventoryState, event: EventOf<'context.changed'>): InventoryState {
  const { context, capture } = event.data;
  if (capture === undefined) return { ...state, at: event.at, context };
  if (typeof capture !== 'string') return state;
  return { ...state, at: event.at, contexts: new Map(state.contexts).set(capture, context) };
}

/**
 * The inventory: each server with the tools an agent (of `capture`, if given) would see, or a
 * notice. Computed from `state` alone; it connects nothing.
 *
 * - `mcp-not-yet-connected`: no list, and the server was never up.
 * - `mcp-not-yet-listed`: no list, though it was up (it may be down or reconnecting now).
 * - `mcp-stale-catalog`: its configuration has a fingerprint and the list does not carry that
 *   one: a list without a fingerprint is stale too, since nothing ties it to this configuration.
 *
 * A server that is down or exited with a list still shows that list's tools: the gateway
 * serves its catalog. Without any configuration (a plain proxy's log) every server the log
 * names is served; with one, a server outside it is shown without tools. Final names come from
 * `assignNames` over every served server's list, shown or not, so that a server going stale or
 * being narrowed away renames no other server's tools.
 *
 * @example
 * const inventory = inventoryOf(state, { at: clock(), capture: 'run-1', narrow });
 * inventory.tools.map((tool) => tool.name); // ['fs__read_file', 'git__log']
 */
export function inventoryOf(state: InventoryState, options: InventoryOptions = {}): Inventory {
  const at = options.at ?? state.at;
  const configuration = options.servers ?? state.configured;
  const { capture } = options;
  const context =
    capture !== undefined && state.contexts.has(capture)
      ? state.contexts.get(capture)
      : state.context;

  // Configured servers first, in their order (a repeated name counts once), then the rest.
  const rows = new Map<string, ConfiguredServer | undefined>();
  for (const server of configuration ?? [])
    if (!rows.has(server.name)) rows.set(server.name, server);
  for (const name of [...state.servers.keys()].sort())
    if (!rows.has(name)) rows.set(name, undefined);
  const serves = (config: ConfiguredServer | undefined) =>
    configuration === undefined || config !== undefined;

  const listedNames: ListedName[] = [];
  for (const [server, config] of rows) {
    if (!serves(config)) continue;
    for (const tool of state.servers.get(server)?.list?.tools ?? [])
      listedNames.push({ server, name: tool.name });
  }
  const prefixes = new Map<string, string>();
  for (const server of configuration ?? []) {
    if (typeof server.prefix === 'string') prefixes.set(server.name, server.prefix);
  }
  const names = assignNames(listedNames, options.reserved, prefixes);

  const listed = [...rows].map(([server, config]): InventoryServer => {
    const record = state.servers.get(server) ?? NEW_SERVER;
    const { list } = record;
    return {
      server,
      configured: config !== undefined,
      ...(config === undefined ? {} : { transport: config.transport }),
      state: record.state,
      ...(record.since === undefined ? {} : { since: record.since }),
      ...(record.retryAt === undefined ? {} : { retryAt: record.retryAt }),
      ...(record.reason === undefined ? {} : { reason: record.reason }),
      stderrTail: [...record.stderrTail],
      ...(list === undefined
        ? {}
        : {
            listedAt: list.listedAt,
            ...(at === undefined ? {} : { catalogAgeMs: at - list.listedAt }),
            fingerprint: list.fingerprint,
            ...(list.kept ? { kept: true as const } : {}),
          }),
      // Left out of the configuration: the log still tells its state, nothing serves its tools.
      ...(serves(config) ? shownOf(server, record, config, names.get(server)) : { tools: [] }),
    };
  });
  const servers = narrowed(listed, context, options);

  // Final names are unique: no two tools compare equal.
  const tools = servers
    .flatMap((server) => server.tools)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    ...(at === undefined ? {} : { at }),
    ...(capture === undefined ? {} : { capture }),
    servers,
    tools,
  };
}

/** What a served server shows before narrowing: a notice, or its tools under their names. */
function shownOf(
  server: string,
  { list, wasUp }: InventoryServerRecord,
  config: ConfiguredServer | undefined,
  finals: ReadonlyMap<string, string> | undefined,
): Pick<InventoryServer, 'notice' | 'tools'> {
  if (list === undefined)
    return { notice: wasUp ? 'mcp-not-yet-listed' : 'mcp-not-yet-connected', tools: [] };
  // A kept list (an outbox's, from an earlier run) is what a gateway serves until the server
  // lists again, whatever configuration it came from: shown, marked `kept`, never stale.
  if (config !== undefined && list.kept !== true && list.config !== config.config)
    return { notice: 'mcp-stale-catalog', tools: [] };
  const tools = list.tools.map((definition): InventoryTool => {
    // Every listed name of a served server was named by `assignNames`.
    const name = finals!.get(definition.name)!;
    return { name, server, tool: definition.name, definition: { ...definition, name } };
  });
  return { tools };
}

/**
 * Every server's tools as the narrower lets them through: it sees all of them at once, as a
 * gateway's narrower does (one that keeps "the first 20" keeps the same 20 here). If it throws,
 * no server shows a tool, and each says why.
 */
function narrowed(
  servers: readonly InventoryServer[],
  context: unknown,
  options: InventoryOptions,
): InventoryServer[] {
  if (options.narrow === undefined) return [...servers];
  // Its own copies: a narrower that edits what it is given changes nothing shown.
  const given = servers.flatMap((server) => server.tools.map((tool) => ({ ...tool.definition })));
  const chosen = new Set<unknown>();
  try {
    for (const kept of options.narrow(given, context))
      if (typeof kept === 'object' && kept !== null) chosen.add(kept.name);
  } catch (error) {
    const narrowError = messageOf(error);
    return servers.map((server) =>
      server.tools.length === 0 ? server : { ...server, narrowError, tools: [] },
    );
  }
  return servers.map((server) => ({
    ...server,
    tools: server.tools.filter((tool) => chosen.has(tool.name)),
  }));
}
