// @internal The inspector's event stream: Server-Sent Events, history first then live, resumable,
// and bounded per client. Written without looking at backpressure, one paused page grew the
// heap by 180 MB over 200,000 events of 1 KB: every event waited in its socket's buffer.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ToolflightEvent } from '../events/types.js';
import { encodeOnce, type Encode } from './encodedEvents.js';
import type { EventFeed } from './eventFeed.js';
import { requestUrl } from './requestGuard.js';

/** At most this many history events go into one message. */
const BATCH = 2000;
/** A history message is cut once it reaches this many bytes (so many 1 KB events). */
const BATCH_BYTES = 64 * 1024;

/** The seq a reconnecting client already has: `Last-Event-ID`, or `?after=` for a first connect. */
export function resumeSeq(req: IncomingMessage): number {
  const header = req.headers['last-event-id'];
  const query = requestUrl(req)?.searchParams.get('after');
  const value = Number(typeof header === 'string' ? header : (query ?? '0'));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * Write every kept event as JSONL, one line each, in chunks that wait for the client to take
 * the last one (`drain`): a client that reads slowly costs one chunk, not a copy of the log.
 * It ends at the last event kept when it started; resolves when the body is written or the
 * client went away.
 */
export function writeHistory(
  feed: EventFeed,
  res: ServerResponse,
  encode: Encode = encodeOnce,
): Promise<void> {
  const end = feed.lastSeq();
  let last = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      let chunk = '';
      for (const event of feed.history(last)) {
        if (event.seq > end) break;
        chunk += `${encode(event)}\n`;
        last = event.seq;
        if (chunk.length >= BATCH_BYTES) {
          if (res.write(chunk)) chunk = '';
          else return void res.once('drain', pump);
        }
      }
      res.end(chunk);
      resolve();
    };
    res.once('close', () => {
      res.off('drain', pump);
      resolve();
    });
    pump();
  });
}

/** How one client's stream is bounded. */
export interface EventStreamOptions {
  /** The client is dropped once more than this many bytes wait for it on its socket. */
  readonly maxBufferedBytes: number;
  /** Called when the client is dropped for falling behind. */
  readonly onDrop: () => void;
  /** Default `encodeOnce`. */
  readonly encode?: Encode;
}

/** One client's open stream, as the server sees it. */
export interface EventStream {
  /** Bytes queued on the client's socket, not yet taken by the client. */
  readonly pendingBytes: () => number;
  /** End the stream (the server is closing). */
  readonly stop: () => void;
}

/**
 * Stream every event after the client's last seq (history in messages of up to 2,000 events or
 * 64 KiB), then every new one, one per message; each message's `id` is the seq of its last
 * event.
 *
 * The history is written a message at a time, each once the client took the one before, and
 * read from the feed again after each wait: live events that arrive meanwhile are in the feed
 * already (stores notify after they keep an event), so nothing is held for a client that is
 * catching up. Every event is sent only if its seq is above the last one sent: no gap, no
 * duplicate. A `gap` event says when the kept history starts later than the client asked (a
 * bounded store dropped the oldest events, perhaps while the client was catching up).
 *
 * Once live, a client with more than `maxBufferedBytes` queued on its socket is dropped: its
 * connection is closed, and `EventSource` reconnects with `Last-Event-ID` and resumes from the
 * history, exactly.
 */
export function serveEvents(
  feed: EventFeed,
  req: IncomingMessage,
  res: ServerResponse,
  options: EventStreamOptions,
): EventStream {
  const encode = options.encode ?? encodeOnce;
  let last = resumeSeq(req);
  let live = false;
  let ended = false;
  // History messages stay well under the bound, so that catching up never drops a client.
  const batchBytes = Math.min(BATCH_BYTES, Math.floor(options.maxBufferedBytes / 4));
  const pendingBytes = (): number => (res.destroyed ? 0 : res.writableLength);
  const end = (): void => {
    ended = true;
    unsubscribe();
    res.off('drain', catchUp);
  };
  const unsubscribe = feed.subscribe((event) => {
    if (ended || !live || event.seq <= last) return;
    const text = event.seq === last + 1 ? '' : `event: gap\ndata: ${last}\n\n`;
    last = event.seq;
    res.write(`${text}id: ${event.seq}\ndata: ${encode(event)}\n\n`);
    if (pendingBytes() > options.maxBufferedBytes) {
      end();
      options.onDrop();
      // Not `end()`: that would queue behind what the client is not reading. Destroying frees it.
      res.destroy();
    }
  });
  res.once('close', end);

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 500\n\n');
  let lines = '';
  let count = 0;
  /** Write the message being built; false when the client has not taken it all yet. */
  const flush = (): boolean => {
    if (count === 0) return true;
    const message = `${lines}id: ${last}\n\n`;
    lines = '';
    count = 0;
    return res.write(message);
  };
  /** Add one history event; false when a message went out that the client has yet to take. */
  const add = (event: ToolflightEvent): boolean => {
    if (event.seq <= last) return true;
    let taken = true;
    if (event.seq !== last + 1) {
      taken = flush();
      res.write(`event: gap\ndata: ${last}\n\n`);
    }
    last = event.seq;
    lines += `data: ${encode(event)}\n`;
    count += 1;
    return (count === BATCH || lines.length >= batchBytes ? flush() : true) && taken;
  };
  function catchUp(): void {
    if (ended) return;
    for (const event of feed.history(last)) {
      if (!add(event)) return void res.once('drain', catchUp);
    }
    flush();
    // In the same turn as the last read of the history: no event can fall between the two.
    live = true;
    // Marks the end of the history, so a client can tell "caught up".
    res.write(`event: live\ndata: ${last}\n\n`);
  }
  catchUp();
  return {
    pendingBytes,
    stop: () => {
      if (ended) return;
      end();
      if (!res.destroyed) res.end();
    },
  };
}
