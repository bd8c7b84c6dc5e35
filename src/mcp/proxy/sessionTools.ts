// @internal One agent session's tools: the last list its own upstream session gave (an upstream
// may list by the client's capabilities or clientInfo, so another agent's list says nothing of
// this one's), what the agent sees of it, and when the agent is told that changed.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Subscription } from 'rxjs';

import { visibleKey } from './narrowTools.js';
import type { Listing, ToolCatalog } from './toolCatalog.js';
import type { SessionLink } from './upstream/upstreamLink.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';

/** The tools of one agent session. */
export class SessionTools {
  /** The last good list of the session's own upstream session; undefined before its first. */
  #own: readonly Tool[] | undefined;
  /** The visible names the agent last saw (or was told of); undefined while none were known. */
  #key: string | undefined;
  #relisting = false;
  #again = false;
  #closed = false;
  readonly #subscription: Subscription;
  /** Listings started, and the latest one whose list was taken. */
  #fetched = 0;
  #taken = 0;

  constructor(
    private readonly catalog: ToolCatalog<unknown>,
    private readonly capture: string,
    private readonly link: SessionLink,
    /** The visible names changed: tell the agent (`notifications/tools/list_changed`). */
    private readonly changed: () => void,
  ) {
    // A session opened before any list was known has seen no names yet: the first list changes
    // nothing for it.
    this.#key = catalog.tools !== undefined ? visibleKey(this.visible()) : undefined;
    // A context changed, or (before the session's own first list) the proxy's own list did.
    this.#subscription = catalog.changed$.subscribe(() => this.#compare());
    this.#subscription.add(
      catalog.relist$.subscribe(() => {
        if (this.#own !== undefined) this.relist();
      }),
    );
  }

  /**
   * What the agent sees now: its session's own list narrowed, else (before one) the proxy's own
   * session's; never another agent's.
   */
  visible(): readonly Tool[] {
    return this.catalog.narrowed(this.#own ?? this.catalog.tools, this.capture);
  }

  /** Whether the session's own upstream session gave a list yet. */
  get listed(): boolean {
    return this.#own !== undefined;
  }

  /**
   * The upstream's definition of `name` (the outbox's rules read it), as this session was given
   * it, else the proxy-wide last good list's: a call reaches this only once it may be made.
   */
  upstreamTool(name: string): Tool | undefined {
    return this.#own?.find((tool) => tool.name === name) ?? this.catalog.upstreamTool(name);
  }

  /**
   * The agent's `tools/list`, through the session's own upstream session; while the upstream
   * is away, the last good list serves (the session's own, else the proxy's). `span`: the agent
   * request the list is for, the parent of each page's client span.
   */
  async list(span?: SpanParent): Promise<Listing> {
    const generation = ++this.#fetched;
    const fetched = await this.catalog.fetch(this.link, span);
    if (fetched.kind === 'tools') {
      // The agent gets these names in the answer: nothing to tell it besides.
      this.#take(fetched.tools, false, generation);
      return { kind: 'tools', tools: this.visible(), cached: false };
    }
    const cached = (this.#own ?? this.catalog.tools) !== undefined;
    if (cached && fetched.away) return { kind: 'tools', tools: this.visible(), cached: true };
    return { kind: 'failed', outcome: fetched.outcome };
  }

  /**
   * Whether the agent may call `name`: it is in what this session sees (listed first when the
   * session has no list of its own: a call never reaches a tool the agent could not have seen).
   */
  async shows(name: string, span?: SpanParent): Promise<boolean> {
    if (this.#own === undefined) await this.list(span).catch(() => undefined);
    return this.visible().some((tool) => tool.name === name);
  }

  /**
   * List again in the background (the upstream said its list changed): the agent is told when
   * its visible names changed. Coalesced: one listing at a time, and at most one more after it.
   */
  relist(): void {
    if (this.#closed) return;
    if (this.#relisting) {
      this.#again = true;
      return;
    }
    this.#relisting = true;
    const generation = ++this.#fetched;
    this.catalog
      .fetch(this.link)
      .then(
        (fetched) => {
          if (fetched.kind === 'tools' && !this.#closed) {
            this.#take(fetched.tools, true, generation);
          }
        },
        () => undefined,
      )
      .finally(() => {
        this.#relisting = false;
        if (!this.#again) return;
        this.#again = false;
        this.relist();
      })
      .catch(() => undefined);
  }

  /** The session ended. */
  close(): void {
    this.#closed = true;
    this.#subscription.unsubscribe();
  }

  #take(tools: readonly Tool[], tell: boolean, generation: number): void {
    // A listing that answered after a later one is older news: the later list stands.
    if (generation < this.#taken) return;
    this.#taken = generation;
    // This session's only: the proxy-wide list is the proxy's own session's.
    this.#own = tools;
    if (tell) this.#compare();
    else this.#key = visibleKey(this.visible());
  }

  #compare(): void {
    if (this.#own === undefined && this.catalog.tools === undefined) return;
    const key = visibleKey(this.visible());
    const before = this.#key;
    this.#key = key;
    if (before !== undefined && key !== before) this.changed();
  }
}
