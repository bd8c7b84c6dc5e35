// @internal The agent sessions of one proxy: created by `initialize`, found by `Mcp-Session-Id`
// and the credential's capture together (an id alone admits nothing), capped in number.
import { randomUUID } from 'node:crypto';

import type { InitializeRequestParams } from '@modelcontextprotocol/sdk/types.js';

import { AgentSession, type SessionDeps } from './agentSession.js';

/** Sessions one proxy keeps at most, unless `limits.maxSessions` says otherwise. */
export const MAX_SESSIONS = 1024;
/** Sessions of one capture at most, unless `limits.maxSessionsPerCapture` says otherwise. */
export const MAX_SESSIONS_PER_CAPTURE = 64;
/** A session with no request and no open stream for this long ends. */
export const SESSION_IDLE_MS = 10 * 60_000;

/** Why a session could not be made. */
export type SessionRefusal = { readonly full: string };

/** Every live session of a proxy. */
export class AgentSessions {
  readonly #live = new Map<string, AgentSession>();
  #closed = false;

  readonly #perCapture = new Map<string, number>();

  constructor(
    private readonly deps: Omit<SessionDeps, 'ended'>,
    private readonly max: number,
    private readonly maxPerCapture: number,
  ) {}

  get size(): number {
    return this.#live.size;
  }

  /** A new session for an agent of `capture`, or why not (the proxy is full or closed). */
  open(capture: string, hello: InitializeRequestParams): AgentSession | SessionRefusal {
    if (this.#closed) return { full: 'the proxy is closing' };
    if (this.#live.size >= this.max) {
      return {
        full: `the proxy holds its maximum of ${this.max} agent sessions: end unused ones (DELETE), or raise limits.maxSessions`,
      };
    }
    // One agent that opens sessions without end must not take every other agent's.
    const held = this.#perCapture.get(capture) ?? 0;
    if (held >= this.maxPerCapture) {
      return {
        full: `capture ${JSON.stringify(capture)} already holds ${held} agent sessions, the most limits.maxSessionsPerCapture allows: end unused ones (DELETE) before opening another`,
      };
    }
    const id = randomUUID();
    const session = new AgentSession(id, capture, hello, {
      ...this.deps,
      ended: (ended) => {
        if (!this.#live.delete(ended.id)) return;
        const left = (this.#perCapture.get(ended.capture) ?? 1) - 1;
        if (left === 0) this.#perCapture.delete(ended.capture);
        else this.#perCapture.set(ended.capture, left);
      },
    });
    this.#live.set(id, session);
    this.#perCapture.set(capture, held + 1);
    return session;
  }

  /** The live session of that id, if it belongs to `capture`. */
  find(id: string, capture: string): AgentSession | undefined {
    const session = this.#live.get(id);
    return session?.capture === capture && !session.ended ? session : undefined;
  }

  /** End every session of `capture` (it was cleared: nothing it does could be tracked). */
  async endCapture(capture: string, reason: string): Promise<void> {
    const ending = [...this.#live.values()].filter((session) => session.capture === capture);
    await Promise.all(ending.map((session) => session.end(reason)));
  }

  /** End every session; no new one opens. */
  async closeAll(reason: string): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#live.values()].map((session) => session.end(reason)));
  }
}
