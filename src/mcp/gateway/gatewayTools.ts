// @internal One gateway session's tools: every server's list as this session got it (its own
// upstream session's, else the server's last good list), under the gateway's names, narrowed by
// the capture's context; told to the agent (`list_changed`) when the names it sees change.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { NAME_SEPARATOR, safeNamePart } from '../../projections/toolNames.js';
import { visibleKey } from '../proxy/narrowTools.js';
import { withinMs } from './gatewayLists.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';
import type { GatewayContexts } from './gatewayContexts.js';
import type { GatewayUpstream } from './gatewayUpstream.js';
import { nameCatalog, type NamedCatalog } from './namedCatalog.js';
import type { ServerPart } from './ServerPart.js';

/** What a session's tools need from the gateway. */
export interface ToolsDeps {
  readonly servers: readonly GatewayUpstream[];
  readonly contexts: GatewayContexts<unknown>;
  readonly reserved: readonly string[];
  /** What names start with, per server, where it is not the server's name. */
  readonly prefixes: ReadonlyMap<string, string>;
  readonly listWaitMs: number;
  readonly scheduler: SchedulerLike;
}

/** What the session lends its tools. */
export interface ToolsSession {
  readonly capture: string;
  /** The session's part of `server`, if it has one yet. */
  readonly partOf: (server: string) => ServerPart | undefined;
  /** The session's part of `server`, opened if it has none (the server starts if it must). */
  readonly part: (server: string) => ServerPart;
}

/** The view a session's tools were last computed from: the lists (by identity) and context. */
interface Cached {
  readonly lists: readonly (readonly Tool[] | undefined)[];
  readonly context: unknown;
  readonly named: NamedCatalog<Tool>;
  readonly visible: readonly Tool[];
  readonly visibleNames: ReadonlySet<string>;
}

/** The merged tools of one gateway session. */
export class GatewayTools {
  #cached: Cached | undefined;
  /** The visible names the agent last saw (or was told of); undefined while none were known. */
  #key: string | undefined;
  #closed = false;
  /** Where each name the agent was last shown leads (from its last `tools/list`). */
  #shown:
    ReadonlyMap<string, { readonly server: string; readonly upstreamName: string }> | undefined;
  /** The listing under way per server, shared by the calls that need it. */
  readonly #listing = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: ToolsDeps,
    private readonly session: ToolsSession,
    /** The visible names changed: tell the agent. */
    private readonly changed: () => void,
  ) {}

  /** Every server's list as this session knows it now, named and narrowed (cached by identity). */
  view(): Cached {
    // The session's own list once it has one, else the server's last good list (or none): the
    // same arrays while nothing changed, which is what the cache compares.
    const lists = this.deps.servers.map((server) => {
      const part = this.session.partOf(server.name);
      return part?.tools.listed === true ? part.tools.visible() : server.unit.catalog.tools;
    });
    const context = this.deps.contexts.contextOf(this.session.capture);
    const cached = this.#cached;
    if (
      cached !== undefined &&
      cached.context === context &&
      cached.lists.every((list, i) => list === lists[i])
    ) {
      return cached;
    }
    const named = nameCatalog(
      this.deps.servers.map((server, i) => [server.name, lists[i]] as const),
      this.deps.reserved,
      this.deps.prefixes,
    );
    const visible = this.deps.contexts.visible(named.items, this.session.capture);
    const next = {
      lists,
      context,
      named,
      visible,
      visibleNames: new Set(visible.map((tool) => tool.name)),
    };
    this.#cached = next;
    return next;
  }

  /**
   * The agent's `tools/list`: every server lists through the session's own upstream session, at
   * once; one that has not answered within `listWaitMs` is left to its last good list (or
   * none), and the agent is told when its names change once it answers. `span`: the agent's
   * request (see `#listOnce` for a listing it shares).
   */
  async list(span?: SpanParent): Promise<readonly Tool[]> {
    let answered = false;
    const listings = this.deps.servers.map((server) => {
      const listing = this.#listOnce(server.name, span);
      // An answer that comes after the agent's is told as list_changed if it changes what the
      // agent sees; those in time make one view together (not one per server's answer).
      void listing.then(() => answered && this.compare());
      return listing;
    });
    await withinMs(this.deps.scheduler, this.deps.listWaitMs, Promise.all(listings));
    answered = true;
    const { visible, named } = this.view();
    this.#key = visibleKey(visible);
    // What these names lead to, as the agent was shown: a later list that gives a name to
    // another server (one that was slow, with the prefix '') must not send its calls there.
    this.#shown = new Map(
      visible.map((tool) => {
        const entry = named.byName.get(tool.name)!;
        return [tool.name, { server: entry.server, upstreamName: entry.upstreamName }] as const;
      }),
    );
    return visible;
  }

  /**
   * Where the agent's tool `name` leads, if the agent may call it. A name no list has given yet
   * waits for the lists of the servers it may belong to (its prefix's, and those without one),
   * each as long as that server's own deadlines allow, not `listWaitMs`: a call never reaches a
   * tool the agent could not have seen, and the first call to a server slow to start is not
   * refused for it. A name no server could give is refused at once, listing nothing. `span`:
   * the agent's call, the parent of a listing it starts.
   */
  async resolve(
    name: string,
    span?: SpanParent,
  ): Promise<
    { readonly server: string; readonly upstreamName: string } | { readonly refused: string }
  > {
    let view = this.view();
    if (!view.named.byName.has(name)) {
      const likely = this.deps.servers.filter(
        (server) => !this.#listedBy(server.name) && this.#mayName(server.name, name),
      );
      if (likely.length > 0) {
        await Promise.all(likely.map((server) => this.#listOnce(server.name, span)));
        // An agent that had been given names before is told what this listing changed.
        this.compare();
        view = this.view();
      }
    }
    const shown = this.#shown?.get(name);
    // A name the agent was shown leads where it did then, while that server still lists the
    // tool (under whatever name it has now, which narrowing must still let through).
    const now =
      shown === undefined ? undefined : view.named.names.get(shown.server)?.get(shown.upstreamName);
    if (shown !== undefined && now !== undefined) {
      if (!view.visibleNames.has(now)) {
        return { refused: 'the tool is hidden from this agent (narrowing)' };
      }
      return shown;
    }
    const entry = view.named.byName.get(name);
    if (entry === undefined) {
      return { refused: 'no server of the gateway lists a tool of this name' };
    }
    if (!view.visibleNames.has(name)) {
      return { refused: 'the tool is hidden from this agent (narrowing)' };
    }
    return { server: entry.server, upstreamName: entry.upstreamName };
  }

  /** Compare what the agent sees with what it was last told; tell it when that changed. */
  compare(): void {
    if (this.#closed) return;
    const key = visibleKey(this.view().visible);
    const before = this.#key;
    this.#key = key;
    if (before !== undefined && key !== before) this.changed();
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * List `server` through the session's part, one listing at a time: calls that come together
   * share it. Settles (never rejects) once it answered or failed; what it changed for the agent
   * is told as list_changed if the agent had been given names before.
   *
   * A shared listing is parented on `span`, the request that started it: one upstream
   * `tools/list` has one parent span. A request that joins it waits for it as before; nothing is
   * listed again, delayed or kept from the cache for the sake of a span of its own.
   */
  #listOnce(server: string, span: SpanParent | undefined): Promise<void> {
    const running = this.#listing.get(server);
    if (running !== undefined) return running;
    const listing = this.session
      .part(server)
      .tools.list(span)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.#listing.delete(server));
    this.#listing.set(server, listing);
    return listing;
  }

  /** Whether `server` could give the gateway name `name` (by its prefix). */
  #mayName(server: string, name: string): boolean {
    const prefix = this.deps.prefixes.get(server) ?? server;
    return prefix === '' || name.startsWith(`${safeNamePart(prefix)}${NAME_SEPARATOR}`);
  }

  #listedBy(server: string): boolean {
    return this.session.partOf(server)?.tools.listed === true;
  }
}
