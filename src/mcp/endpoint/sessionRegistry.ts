// @internal The agent sessions of one endpoint (the loopback server, the proxy): created by
// `initialize`, found by `Mcp-Session-Id` together with who the credential admits (an id alone
// admits nothing), capped in all and per credential.
import { randomUUID } from 'node:crypto';

import type { SessionClosed, SessionOpened } from '../../events/types.js';
import type { Logger } from '../../logger.js';
import type { Tracker } from '../../tracker/Tracker.js';
import { recordSafely } from './recordSafely.js';

/** What the registry needs of a session. */
export interface RegisteredSession {
  readonly id: string;
  /** Who the session belongs to: the credential's capture (and role, where there are roles). */
  readonly claim: string;
  readonly ended: boolean;
  readonly end: (reason: string) => Promise<void>;
}

/** Where an endpoint's session notes go: the tracker's `note`, recorded safely. */
export type SessionNote = (
  type: 'session.opened' | 'session.closed',
  data: SessionOpened['data'] | SessionClosed['data'],
  capture: string,
) => void;

/**
 * `session.opened` once a session's `initialize` was answered, and `session.closed` when it
 * ends (only for one that opened: a refused initialize opened nothing).
 */
export class SessionNotes {
  readonly #opened = new Set<string>();

  constructor(private readonly note: SessionNote) {}

  opened(session: { readonly id: string }, capture: string, data: SessionOpened['data']): void {
    this.#opened.add(session.id);
    this.note('session.opened', data, capture);
  }

  closed(id: string, capture: string, reason: string): void {
    if (!this.#opened.delete(id)) return;
    this.note('session.closed', { session: id, reason }, capture);
  }
}

/** Session notes into `tracker`'s log (a note that fails is logged, never thrown). */
export function sessionNotesFor(tracker: Tracker, logger: Logger | undefined): SessionNotes {
  return new SessionNotes((type, data, capture) =>
    recordSafely(logger, type, () => tracker.note(type, data, { capture })),
  );
}

/** Why a session could not be made. */
export type SessionRefusal = { readonly full: string };

/** Every live session of an endpoint. */
export class SessionRegistry<S extends RegisteredSession> {
  readonly #live = new Map<string, S>();
  readonly #perCapture = new Map<string, number>();
  #closed = false;

  constructor(
    /** `the proxy`, `the loopback server`: how refusals name the endpoint. */
    private readonly endpoint: string,
    private readonly max: number,
    private readonly maxPerCapture: number,
    /** Where `session.closed` goes, for the sessions it noted open. */
    private readonly notes?: SessionNotes,
  ) {}

  get size(): number {
    return this.#live.size;
  }

  /**
   * A new session for `claim`, made by `make` with a fresh id and the function it must call
   * once it ended; or why not (the endpoint is full or closing). Sessions are capped per
   * `capture`, whatever their claim's role.
   */
  open(
    claim: string,
    capture: string,
    make: (id: string, ended: (reason: string) => void) => S,
  ): S | SessionRefusal {
    if (this.#closed) return { full: `${this.endpoint} is closing` };
    if (this.#live.size >= this.max) {
      return {
        full: `${this.endpoint} holds its maximum of ${this.max} agent sessions: end unused ones (DELETE), or raise limits.maxSessions`,
      };
    }
    // One agent that opens sessions without end must not take every other agent's: counted
    // by capture, whatever the role of the credential.
    const held = this.#perCapture.get(capture) ?? 0;
    if (held >= this.maxPerCapture) {
      return {
        full: `capture ${JSON.stringify(capture)} already holds ${held} agent sessions, the most limits.maxSessionsPerCapture allows: end unused ones (DELETE) before opening another`,
      };
    }
    const id = randomUUID();
    let counted = true;
    const session = make(id, (reason) => {
      if (!counted) return;
      counted = false;
      this.notes?.closed(id, capture, reason);
      this.#live.delete(id);
      const left = (this.#perCapture.get(capture) ?? 1) - 1;
      if (left === 0) this.#perCapture.delete(capture);
      else this.#perCapture.set(capture, left);
    });
    this.#live.set(id, session);
    this.#perCapture.set(capture, held + 1);
    return session;
  }

  /** The live session of that id, if it belongs to `claim`. */
  find(id: string, claim: string): S | undefined {
    const session = this.#live.get(id);
    return session?.claim === claim && !session.ended ? session : undefined;
  }

  /** Every live session that `matches`. */
  where(matches: (session: S) => boolean): S[] {
    return [...this.#live.values()].filter(matches);
  }

  /** End every session that `matches`. */
  async endWhere(matches: (session: S) => boolean, reason: string): Promise<void> {
    await Promise.all(this.where(matches).map((session) => session.end(reason)));
  }

  /** End every session; no new one opens. */
  async closeAll(reason: string): Promise<void> {
    this.#closed = true;
    await this.endWhere(() => true, reason);
  }
}
