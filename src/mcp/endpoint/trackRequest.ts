// @internal How both MCP servers put an HTTP request on the tracker.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Tracker } from '../../tracker/Tracker.js';
import type { RequestHandle } from '../../tracker/handles.js';
import { CAPTURE_HEADER } from './Endpoint.js';
import type { Logger } from '../../logger.js';
import { recordSafely } from './recordSafely.js';

/**
 * Admit a request to the capture its `x-toolflight-capture-key` header names, before its body is
 * read (an upload in progress keeps the capture busy), and finish it when the response is
 * written (with its status) or the connection drops first (then `onGone` runs too).
 */
export function trackRequest(
  tracker: Tracker,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger | undefined,
  onGone?: () => void,
): { readonly capture: string | undefined; readonly request: RequestHandle | undefined } {
  const header = req.headers[CAPTURE_HEADER];
  const capture = typeof header === 'string' ? header : undefined;
  const request = tracker.requestStarted(capture);
  res.once('finish', () =>
    recordSafely(logger, 'a request', () =>
      tracker.requestFinished(request, { status: res.statusCode }),
    ),
  );
  res.once('close', () => {
    if (res.writableFinished) return;
    onGone?.();
    recordSafely(logger, 'a request', () => tracker.requestFinished(request));
  });
  return { capture, request };
}
