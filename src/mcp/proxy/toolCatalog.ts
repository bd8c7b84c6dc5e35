// @internal The proxy-wide last good upstream tool list, the proxy's own session's only (its
// connect, its list_changed, `refreshTools`; what a session that has not listed yet goes by),
// the context, and how a list is narrowed for a capture. What one agent sees comes from its own
// session's list (`SessionTools`): an upstream may list by client, so an agent's list never
// lands here (it would flip `catalog.listed`, the outbox's kept catalog and `visibleTools`
// between agents). The proxy-wide `list_changed` is a derived observable of its sorted names.
import { ListToolsResultSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  BehaviorSubject,
  distinctUntilChanged,
  map,
  share,
  skip,
  Subject,
  type Observable,
} from 'rxjs';

import { contextFor, fingerprintOf, narrowTools, visibleKey, withContext } from './narrowTools.js';
import type { KeptCatalog, KeptInitialize } from './outbox/keptCatalog.js';
import type { Narrower, ProxyNotice } from './Proxy.js';
import type { SessionLink, UpstreamLink } from './upstream/upstreamLink.js';
import type { Forwarded } from './upstream/upstreamSession.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';

interface CatalogState<C> {
  /**
   * The last good list of the proxy's own session, which introduces itself with no capabilities
   * (or the kept one); undefined until there is one. No agent's list lands here.
   */
  readonly upstream: readonly Tool[] | undefined;
  readonly context: C;
  /** Contexts set for one capture, which its agents' sessions see instead of `context`. */
  readonly contexts: ReadonlyMap<string, C>;
}

/** What a listing attempt gave: the visible tools, or the upstream's own refusal. */
export type Listing =
  | { readonly kind: 'tools'; readonly tools: readonly Tool[]; readonly cached: boolean }
  | { readonly kind: 'failed'; readonly outcome: Forwarded };

/** What listing every page through one link gave: the upstream's tools, or why not. */
export type Fetched =
  | { readonly kind: 'tools'; readonly tools: readonly Tool[] }
  | {
      readonly kind: 'failed';
      readonly outcome: Forwarded;
      /** The upstream is away or hangs (a last good list may serve), not refusing the list. */
      readonly away: boolean;
    };

const MAX_PAGES = 100;

/** The catalog of one proxy. */
export class ToolCatalog<C> {
  readonly #state: BehaviorSubject<CatalogState<C>>;
  /** Emits the sorted visible names each time they change; never on subscription. */
  readonly listChanged$: Observable<readonly string[]>;
  /** Emits on every change of the list or a context (a session compares its own names). */
  readonly changed$: Observable<unknown>;
  /** The kept handshake, for an agent's `initialize` before the upstream ever answered one. */
  #keptInitialize: KeptInitialize | undefined;
  /** Whether `upstream` is the kept copy, not yet confirmed by the upstream in this process. */
  #fromKept = false;
  readonly #relist = new Subject<void>();
  /**
   * Emits when the proxy's own link listed something other than it did before (after an outage,
   * on its `list_changed`, on `refreshTools`): each session's own list may be stale too.
   */
  readonly relist$: Observable<void> = this.#relist.asObservable();

  constructor(
    private readonly link: UpstreamLink,
    private readonly narrow: Narrower<C> | undefined,
    context: C,
    private readonly notice: (notice: ProxyNotice) => void,
    private readonly onNarrowError: (error: unknown) => void,
  ) {
    this.#state = new BehaviorSubject<CatalogState<C>>({
      upstream: undefined,
      context,
      contexts: new Map(),
    });
    this.changed$ = this.#state.pipe(skip(1));
    this.listChanged$ = this.#state.pipe(
      map((state) => visibleKey(this.#visible(state))),
      distinctUntilChanged(),
      skip(1),
      map((key) => JSON.parse(key) as string[]),
      share(),
    );
  }

  /**
   * Start from the catalog an outbox kept (call before any agent is served): served like a
   * list of this process until the upstream lists its own, and noted `catalog.listed` with
   * `kept: true`, so that a recording shows where what agents saw came from.
   */
  restore(kept: KeptCatalog): void {
    this.#keptInitialize = kept.initialize;
    const tools = kept.tools;
    if (tools === undefined || this.#state.value.upstream !== undefined) return;
    this.#fromKept = true;
    this.notice({
      type: 'catalog.listed',
      data: { server: this.link.server, tools, fingerprint: fingerprintOf(tools), kept: true },
    });
    this.#state.next({ ...this.#state.value, upstream: tools });
  }

  /** The kept `initialize` result's parts, if the outbox had one. */
  get keptInitialize(): KeptInitialize | undefined {
    return this.#keptInitialize;
  }

  /**
   * The visible tools now for the agents of `capture` (its own context, else the proxy's),
   * from the last good list (empty before the first).
   */
  visible(capture?: string): readonly Tool[] {
    return this.#visible(this.#state.value, capture);
  }

  /** Whether a narrower decides what agents see (without one, every upstream tool is visible). */
  get narrows(): boolean {
    return this.narrow !== undefined;
  }

  /** Whether an upstream list was ever accepted (before it, nothing is known to be visible). */
  get listed(): boolean {
    return this.#state.value.upstream !== undefined;
  }

  /** The upstream tool of this name in the proxy's own session's last good list. */
  upstreamTool(name: string): Tool | undefined {
    return this.#state.value.upstream?.find((tool) => tool.name === name);
  }

  /**
   * The proxy's own session's last good list (or the kept one), if any: what a session that has
   * not listed yet goes by.
   */
  get tools(): readonly Tool[] | undefined {
    return this.#state.value.upstream;
  }

  /** What the agents of `capture` see of `tools` (a session's own list): narrowed, never widened. */
  narrowed(tools: readonly Tool[] | undefined, capture: string): readonly Tool[] {
    return this.#visible({ ...this.#state.value, upstream: tools }, capture);
  }

  /** Set the proxy's context, or with `capture` the context of that capture's sessions only. */
  setContext(context: C, capture?: string): void {
    this.#state.next(withContext(this.#state.value, context, capture));
  }

  /**
   * List every page through the proxy's own link; on failure, the last good list (if any) is
   * served, as `capture`'s agents see it.
   */
  async refresh(capture?: string): Promise<Listing> {
    const fetched = await this.fetch(this.link);
    if (fetched.kind === 'failed') {
      // An upstream that hangs is as good as away: the last good list still serves.
      if (this.listed && fetched.away) {
        return { kind: 'tools', tools: this.visible(capture), cached: true };
      }
      return { kind: 'failed', outcome: fetched.outcome };
    }
    const previous = this.#state.value.upstream;
    this.#accept(fetched.tools);
    if (previous !== undefined && fingerprintOf(previous) !== fingerprintOf(fetched.tools)) {
      this.#relist.next();
    }
    return { kind: 'tools', tools: this.visible(capture), cached: false };
  }

  /**
   * List every page through `link` (a session's own, or the proxy's); accepts nothing. `span`:
   * the agent request it lists for (none for the proxy's own refresh: a root span).
   */
  async fetch(link: Pick<SessionLink, 'forward'>, span?: SpanParent): Promise<Fetched> {
    const route = span === undefined ? {} : { span };
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const outcome = await link.forward(
        {
          jsonrpc: '2.0',
          id: `toolflight-list-${page}`,
          method: 'tools/list',
          ...(cursor === undefined ? {} : { params: { cursor } }),
        },
        route,
      );
      const parsed =
        outcome.kind === 'answer' && 'result' in outcome.message
          ? ListToolsResultSchema.safeParse(outcome.message.result)
          : undefined;
      if (!parsed?.success) {
        const away = outcome.kind === 'unreachable' || outcome.kind === 'timed_out';
        return { kind: 'failed', outcome, away };
      }
      tools.push(...parsed.data.tools);
      cursor = parsed.data.nextCursor;
      if (cursor === undefined) break;
    }
    return { kind: 'tools', tools };
  }

  /** Stop deriving (the proxy closed). */
  complete(): void {
    this.#relist.complete();
    this.#state.complete();
  }

  /** The proxy's own session listed: `catalog.listed` notes it, the outbox keeps it. */
  #accept(tools: readonly Tool[]): void {
    const fingerprint = fingerprintOf(tools);
    const previous = this.#state.value.upstream;
    // The upstream's own list is noted even when it equals the kept one: the log then shows
    // that what agents were served during the outage was confirmed.
    if (previous === undefined || this.#fromKept || fingerprintOf(previous) !== fingerprint) {
      this.notice({
        type: 'catalog.listed',
        data: { server: this.link.server, tools, fingerprint },
      });
    }
    this.#fromKept = false;
    this.#state.next({ ...this.#state.value, upstream: tools });
  }

  #visible(state: CatalogState<C>, capture?: string): readonly Tool[] {
    if (state.upstream === undefined) return [];
    const context = contextFor(state, capture);
    try {
      return narrowTools(state.upstream, this.narrow, context);
    } catch (error) {
      // A narrower that throws shows nothing rather than everything: never widen.
      this.onNarrowError(error);
      return [];
    }
  }
}
