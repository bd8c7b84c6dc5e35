/// <reference lib="dom" />
// @internal The live stream: EventSource (which resumes with Last-Event-ID by itself), decoded
// events handed over once per animation frame.
import { decodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';

/** What the connection tells the page. */
export interface ConnectionHandlers {
  /** Events received since the last frame, in seq order. */
  readonly onEvents: (events: ToolflightEvent[]) => void;
  readonly onStatus: (status: 'connecting' | 'live' | 'reconnecting') => void;
  /** The server's kept history starts after the seq the page has. */
  readonly onGap: (after: number) => void;
  /** A line the page could not decode. */
  readonly onError: (error: unknown) => void;
}

/**
 * Load the kept history in one request (`/history`), then stream what follows from `/events`,
 * resuming after the last seq loaded (and, on reconnects, after the last received). Returns the
 * function that disconnects.
 */
export function connect(token: string, handlers: ConnectionHandlers): () => void {
  let source: EventSource | undefined;
  let closed = false;
  const query = `token=${encodeURIComponent(token)}`;
  handlers.onStatus('connecting');
  history(`/history?${query}`)
    .catch(() => [] as ToolflightEvent[])
    .then((events) => {
      if (closed) return;
      if (events.length > 0) handlers.onEvents(events);
      // A bounded store (a tracker keeps the last 1,000) may have dropped the oldest events.
      const first = events[0]?.seq ?? 1;
      if (first > 1) handlers.onGap(first - 1);
      const after = events[events.length - 1]?.seq ?? 0;
      source = stream(`/events?${query}&after=${after}`, handlers);
    })
    .catch((error: unknown) => handlers.onError(error));
  return () => {
    closed = true;
    source?.close();
  };
}

/** The kept history, decoded line by line while it downloads. */
async function history(url: string): Promise<ToolflightEvent[]> {
  const response = await fetch(url);
  const events: ToolflightEvent[] = [];
  if (!response.ok || !response.body) return events;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    const text = rest + (value ?? '');
    const lines = text.split('\n');
    rest = done ? '' : (lines.pop() ?? '');
    for (const line of lines) {
      if (line !== '') events.push(decodeEvent(line, { source: 'history' }));
    }
    if (done) return events;
  }
}

function stream(url: string, handlers: ConnectionHandlers): EventSource {
  const source = new EventSource(url);
  let pending: ToolflightEvent[] = [];
  let frame = 0;
  const flush = (): void => {
    frame = 0;
    const events = pending;
    pending = [];
    handlers.onEvents(events);
  };
  source.onmessage = (message: MessageEvent<string>) => {
    // History arrives in batches: one event per line.
    for (const line of message.data.split('\n'))
      pending.push(decodeEvent(line, { source: 'stream' }));
    frame ||= requestAnimationFrame(flush);
  };
  source.addEventListener('live', () => {
    // The history is all in: hand it over now rather than a frame later.
    if (frame) cancelAnimationFrame(frame);
    flush();
    handlers.onStatus('live');
  });
  source.addEventListener('gap', (message) =>
    handlers.onGap(Number((message as MessageEvent<string>).data)),
  );
  source.onerror = () => handlers.onStatus('reconnecting');
  return source;
}
