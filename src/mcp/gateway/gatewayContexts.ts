// @internal The gateway's narrowing: its own context, the contexts set for one capture, and what
// an agent of a capture sees of the gateway's named tools (narrowed, never widened).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { BehaviorSubject, skip, type Observable } from 'rxjs';

import { contextFor, narrowTools, withContext, type Contexts } from '../proxy/narrowTools.js';
import type { Narrower } from '../proxy/Proxy.js';

/** The contexts of one gateway. */
export class GatewayContexts<C> {
  readonly #state: BehaviorSubject<Contexts<C>>;
  /** Emits on every change of a context. */
  readonly changed$: Observable<unknown>;

  constructor(
    private readonly narrow: Narrower<C> | undefined,
    context: C,
    private readonly onNarrowError: (error: unknown) => void,
  ) {
    this.#state = new BehaviorSubject<Contexts<C>>({ context, contexts: new Map() });
    this.changed$ = this.#state.pipe(skip(1));
  }

  /** The context the agents of `capture` are narrowed by (their own, else the gateway's). */
  contextOf(capture: string | undefined): C {
    return contextFor(this.#state.value, capture);
  }

  /** Set the gateway's context, or with `capture` that capture's only. */
  set(context: C, capture?: string): void {
    this.#state.next(withContext(this.#state.value, context, capture));
  }

  /** Whether a narrower decides what agents see. */
  get narrows(): boolean {
    return this.narrow !== undefined;
  }

  /** What the agents of `capture` see of `tools` (gateway names): a narrower that throws shows none. */
  visible(tools: readonly Tool[], capture: string | undefined): readonly Tool[] {
    try {
      return narrowTools(tools, this.narrow, this.contextOf(capture));
    } catch (error) {
      this.onNarrowError(error);
      return [];
    }
  }

  complete(): void {
    this.#state.complete();
  }
}
