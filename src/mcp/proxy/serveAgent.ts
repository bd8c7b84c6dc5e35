// @internal The proxy's agent sessions as the endpoint's request path serves them: each answers
// through its own upstream session (`answerAgent`), and what the upstream asks the agent about a
// request goes on that request's reply stream.
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  serveSessions,
  type SessionEndpointDeps,
  type SessionHost,
} from '../endpoint/serveSessions.js';
import type { AgentSession } from './agentSession.js';
import type { AgentSessions } from './agentSessions.js';
import { answerAgent, initializeAnswer } from './answerAgent.js';
import type { CallDeps } from './forwardCall.js';

/** What the request path of one proxy needs. */
export interface AgentDeps extends CallDeps, Omit<SessionEndpointDeps<AgentSession>, 'host'> {
  readonly sessions: AgentSessions;
}

/** The proxy's sessions, for the endpoint's request path. */
export function proxySessions(deps: AgentDeps): SessionEndpointDeps<AgentSession> {
  const host: SessionHost<AgentSession> = {
    open: (capture, hello) => deps.sessions.open(capture, hello),
    find: (id, capture) => deps.sessions.find(id, capture),
    initialize: (session, request, span) => initializeAnswer(deps, session, request, span),
    answer(session, message, handle, deliver, span) {
      const route = {
        scope: session.id,
        span,
        onNotification: deliver,
        onRelated: (message: Parameters<AgentSession['fromUpstream']>[0], toolCall?: string) => {
          const upstream = session.link.session;
          if (upstream !== undefined) session.fromUpstream(message, upstream, deliver, toolCall);
        },
      };
      return answerAgent(deps, session, message, handle, route);
    },
    abandoned(session, requestId, reason) {
      const cancel = {
        jsonrpc: '2.0' as const,
        method: 'notifications/cancelled' as const,
        params: { requestId, reason },
      };
      session.link.notify(cancel, session.id, true).catch(() => undefined);
    },
  };
  return { ...deps, host };
}

/** Serve one request of an agent; answers every refusal itself. */
export function serveAgent(
  deps: SessionEndpointDeps<AgentSession>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  return serveSessions(deps, req, res);
}
