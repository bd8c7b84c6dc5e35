// @internal The agent sessions of one proxy: an endpoint's session registry (found by
// `Mcp-Session-Id` and the credential's capture together, capped in all and per capture) whose
// sessions each hold their own upstream session.
import type { InitializeRequestParams } from '@modelcontextprotocol/sdk/types.js';

import {
  SessionRegistry,
  type SessionNotes,
  type SessionRefusal,
} from '../endpoint/sessionRegistry.js';
import { AgentSession, type SessionDeps } from './agentSession.js';

/** Every live session of a proxy. */
export class AgentSessions {
  readonly #registry: SessionRegistry<AgentSession>;

  constructor(
    private readonly deps: Omit<SessionDeps, 'ended'>,
    max: number,
    maxPerCapture: number,
    notes: SessionNotes,
  ) {
    this.#registry = new SessionRegistry('the proxy', max, maxPerCapture, notes);
  }

  get size(): number {
    return this.#registry.size;
  }

  /** A new session for an agent of `capture`, or why not (the proxy is full or closed). */
  open(capture: string, hello: InitializeRequestParams): AgentSession | SessionRefusal {
    return this.#registry.open(
      capture,
      capture,
      (id, ended) => new AgentSession(id, capture, hello, { ...this.deps, ended }),
    );
  }

  /** The live session of that id, if it belongs to `capture`. */
  find(id: string, capture: string): AgentSession | undefined {
    return this.#registry.find(id, capture);
  }

  /** End every session of `capture` (it was cleared: nothing it does could be tracked). */
  endCapture(capture: string, reason: string): Promise<void> {
    return this.#registry.endWhere((session) => session.capture === capture, reason);
  }

  /** End every session; no new one opens. */
  closeAll(reason: string): Promise<void> {
    return this.#registry.closeAll(reason);
  }
}
