// @internal The agents' MCP sessions that are open, from `session.opened` .. `session.closed`:
// what a request's span takes from its session, and `mcp.server.session.duration`.
import { fieldsOf, numberOf, peerOf, textOf, type Fields, type Peer } from './facts.js';
import type { ProjectionMetrics } from './projectionMetrics.js';
import { operationAttributes } from './spanAttributes.js';

/** What a session's `session.opened` said. */
export interface SessionFacts {
  readonly openedAt: number;
  readonly protocolVersion: string | undefined;
  readonly transport: string | undefined;
  readonly server: Peer | undefined;
}

/** Sessions that never close (a host that notes no `session.closed`) stop at this many. */
const MAX_OPEN_SESSIONS = 10_000;

/** The open sessions by `Mcp-Session-Id`. */
export class Sessions {
  private readonly open = new Map<string, SessionFacts>();

  constructor(private readonly metrics: ProjectionMetrics | undefined) {}

  get(session: string | undefined): SessionFacts | undefined {
    return session === undefined ? undefined : this.open.get(session);
  }

  opened(data: Fields | undefined, at: number): void {
    const session = textOf(data?.session);
    if (data === undefined || session === undefined) return;
    this.open.delete(session);
    if (this.open.size >= MAX_OPEN_SESSIONS) {
      // Map order is insertion order: the first key is the session opened longest ago.
      const oldest = this.open.keys().next();
      if (oldest.done !== true) this.open.delete(oldest.value);
    }
    this.open.set(session, {
      openedAt: at,
      protocolVersion: textOf(data.protocolVersion),
      transport: textOf(data.transport),
      server: peerOf(data.server),
    });
  }

  closed(data: Fields | undefined, at: number): void {
    const session = textOf(fieldsOf(data)?.session);
    const facts = this.get(session);
    if (session === undefined || facts === undefined) return;
    this.open.delete(session);
    const seconds = (at - facts.openedAt) / 1000;
    this.metrics?.serverSession(
      numberOf(seconds) ?? 0,
      operationAttributes({ method: undefined, target: undefined, ...facts }),
    );
  }
}
