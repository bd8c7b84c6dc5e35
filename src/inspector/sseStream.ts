// @internal The inspector's event stream: Server-Sent Events, history first then live, resumable.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ToolflightEvent } from '../events/types.js';
import { encodeOnce } from './encodedEvents.js';
import type { EventFeed } from './eventFeed.js';

/** How many history events go into one socket write. */
const BATCH = 2000;

const frame = (event: ToolflightEvent): string =>
  `id: ${event.seq}\ndata: ${encodeOnce(event)}\n\n`;

/** Every kept event as JSONL, one line each. */
export function historyJsonl(feed: EventFeed): string {
  let text = '';
  for (const event of feed.history(0)) text += `${encodeOnce(event)}\n`;
  return text;
}

/** The seq a reconnecting client already has: `Last-Event-ID`, or `?after=` for a first connect. */
export function resumeSeq(req: IncomingMessage): number {
  const header = req.headers['last-event-id'];
  const query = new URL(req.url ?? '/', 'http://inspector').searchParams.get('after');
  const value = Number(typeof header === 'string' ? header : (query ?? '0'));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * Stream every event after the client's last seq (in batches of up to 1,000 per message), then
 * every new one, one per message; each message's `id` is the seq of its last event.
 *
 * Live events are subscribed to before the history is read and buffered until it is written,
 * and every event is sent only if its seq is above the last one sent: no gap, no duplicate,
 * whatever is appended meanwhile. A `gap` event says when the kept history starts later than
 * the client asked (a bounded store dropped the oldest events).
 */
export function serveEvents(
  feed: EventFeed,
  req: IncomingMessage,
  res: ServerResponse,
  onClose: (stop: () => void) => void,
): void {
  let last = resumeSeq(req);
  let buffered: ToolflightEvent[] | undefined = [];
  const write = (event: ToolflightEvent): string => {
    if (event.seq <= last) return '';
    const text = event.seq === last + 1 ? '' : `event: gap\ndata: ${last}\n\n`;
    last = event.seq;
    return text + frame(event);
  };
  const unsubscribe = feed.subscribe((event) => {
    if (buffered) buffered.push(event);
    else if (!res.destroyed) res.write(write(event));
  });
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 500\n\n');
  // History in batches: each message's id is its last event's seq, so a resume stays exact.
  let lines = '';
  let count = 0;
  const flush = (): void => {
    if (count > 0) res.write(`${lines}id: ${last}\n\n`);
    lines = '';
    count = 0;
  };
  const add = (event: ToolflightEvent): void => {
    if (event.seq <= last) return;
    if (event.seq !== last + 1) {
      flush();
      res.write(`event: gap\ndata: ${last}\n\n`);
    }
    last = event.seq;
    lines += `data: ${encodeOnce(event)}\n`;
    if (++count === BATCH) flush();
  };
  for (const event of feed.history(last)) add(event);
  for (const event of buffered) add(event);
  buffered = undefined;
  flush();
  // Marks the end of the history, so a client can tell "caught up".
  res.write(`event: live\ndata: ${last}\n\n`);
  const stop = (): void => {
    unsubscribe();
    if (!res.destroyed) res.end();
  };
  res.once('close', unsubscribe);
  onClose(stop);
}
