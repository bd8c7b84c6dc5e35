// @internal One gateway session's tools: every server's list as this session got it (its own
// upstream session's, else the server's last good list), under the gateway's names, narrowed by
// the capture's context; told to the agent (`list_changed`) when the names it sees change.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { visibleKey } from '../proxy/narrowTools.js';
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

/** Resolve after `ms` of `scheduler` (the wait is dropped once `done` settles). */
function waitAtMost(scheduler: SchedulerLike, ms: number, done: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = scheduler.schedule(() => resolve(), ms);
    void done.finally(() => {
      timer.unsubscribe();
      resolve();
    });
  });
}

/** The merged tools of one gateway session. */
export class GatewayTools {
  #cached: Cached | undefined;
  /** The visible names the agent last saw (or was told of); undefined while none were known. */
  #key: string | undefined;
  #closed = false;

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
   * none), and the agent is told when its names change once it answers.
   */
  async list(): Promise<readonly Tool[]> {
    let answered = false;
    const listings = this.deps.servers.map((server) => {
      const listing = this.session.part(server.name).tools.list();
      // An answer that comes after the agent's is told as list_changed if it changes what the
      // agent sees; those in time make one view together (not one per server's answer).
      void listing.then(
        () => answered && this.compare(),
        () => undefined,
      );
      return listing;
    });
    const all = Promise.allSettled(listings);
    await waitAtMost(this.deps.scheduler, this.deps.listWaitMs, all);
    answered = true;
    const { visible } = this.view();
    this.#key = visibleKey(visible);
    return visible;
  }

  /**
   * Where the agent's tool `name` leads, if the agent may call it: listed first when the session
   * has not listed a server yet (a call never reaches a tool the agent could not have seen).
   */
  async resolve(
    name: string,
  ): Promise<
    { readonly server: string; readonly upstreamName: string } | { readonly refused: string }
  > {
    let view = this.view();
    if (!view.named.byName.has(name) && this.deps.servers.some((s) => !this.#listedBy(s.name))) {
      await this.list().catch(() => undefined);
      view = this.view();
    }
    const entry = view.named.byName.get(name);
    if (entry === undefined)
      return { refused: 'no server of the gateway lists a tool of this name' };
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

  #listedBy(server: string): boolean {
    return this.session.partOf(server)?.tools.listed === true;
  }
}
