// @internal How both MCP servers put an agent's HTTP request on the tracker, and what they do
// with one whose capture is not live.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Tracker } from '../../tracker/Tracker.js';
import type { RequestHandle } from '../../tracker/handles.js';
import type { Logger } from '../../logger.js';
import { refuse } from './httpGate.js';
import { answeredErrorOf } from './answeredError.js';
import { recordSafely } from './recordSafely.js';

/**
 * What a server does with a request whose credential names a capture that is not live (never
 * begun, or cleared): `refuse` it (409), or `serve` it with nothing appended.
 */
export type UntrackedPolicy = 'refuse' | 'serve';

/** What tracking a request needs from its server. */
export interface TrackingDeps {
  readonly tracker: Tracker;
  readonly untracked: UntrackedPolicy;
  readonly logger: Logger | undefined;
}

/** The refusal of a request for a capture that is not live: says what the host should do. */
function refuseNotLive(req: IncomingMessage, res: ServerResponse, capture: string): void {
  refuse(
    req,
    res,
    409,
    `Conflict: capture ${JSON.stringify(capture)} is not live (never begun, or cleared), so nothing this request does would be tracked: the host must begin the capture (tracker.beginCapture) before handing out its credential, or start the server with untracked: 'serve' to serve such requests untracked`,
  );
}

/** The `untracked` option, checked; `error` builds the server's own typed error. */
export function untrackedPolicy(
  value: unknown,
  error: (message: string) => Error,
): UntrackedPolicy {
  if (value === undefined) return 'refuse';
  if (value === 'refuse' || value === 'serve') return value;
  throw error(
    `untracked must be "refuse" (the default) or "serve", got ${JSON.stringify(value) ?? typeof value}`,
  );
}

/** A POST admitted to the tracker. */
export interface TrackedRequest {
  /** Undefined when the server serves untracked requests and the capture is not live. */
  readonly request: RequestHandle | undefined;
}

/**
 * Admit a POST to the capture its credential is bound to (the key's current generation), before
 * its body is read (an upload in progress keeps the capture busy), and finish it when the
 * response is written (with its status) or the connection drops first (then `onGone` runs too).
 *
 * When the capture is not live the request is refused with 409 and undefined is returned, unless
 * the server serves untracked requests: then `request` is undefined and nothing is appended.
 */
export function trackRequest(
  deps: TrackingDeps,
  capture: string,
  req: IncomingMessage,
  res: ServerResponse,
  onGone?: () => void,
): TrackedRequest | undefined {
  const { tracker, logger } = deps;
  const request = tracker.requestStarted(capture);
  if (request === undefined && deps.untracked === 'refuse') {
    refuseNotLive(req, res, capture);
    return undefined;
  }
  // Whether `finish` ran: `res.writableFinished` is also true for a response ended on a socket
  // that was already gone, where `finish` never comes (the fuzz tests found it), and the request
  // would then stay in flight.
  let finished = false;
  res.once('finish', () => {
    finished = true;
    if (request === undefined) return;
    const error = answeredErrorOf(res);
    recordSafely(logger, 'a request', () =>
      tracker.requestFinished(
        request,
        error === undefined ? { status: res.statusCode } : { status: res.statusCode, error },
      ),
    );
  });
  res.once('close', () => {
    if (finished) return;
    onGone?.();
    if (request !== undefined) {
      recordSafely(logger, 'a request', () => tracker.requestFinished(request));
    }
  });
  return { request };
}

/**
 * True when a `GET` (an SSE stream, never tracked: it lives for a whole session) may open for
 * `capture`: the capture is live, or the server serves untracked requests. Otherwise it answers
 * the same 409 as a POST.
 */
export function streamAllowed(
  deps: TrackingDeps,
  capture: string,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (deps.untracked === 'serve' || deps.tracker.capture(capture)?.state === 'active') return true;
  refuseNotLive(req, res, capture);
  return false;
}
