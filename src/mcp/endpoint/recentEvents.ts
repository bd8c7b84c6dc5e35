// @internal The SDK `EventStore` of one agent session: the last messages sent on its SSE
// streams, so that a client that reconnects with `Last-Event-ID` gets what it missed. Bounded:
// a session that nobody reads cannot grow the server's memory; a cursor older than what is kept
// replays from the oldest event kept.
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** How many messages one session keeps for replay unless told otherwise. */
export const RECENT_EVENTS = 256;

/**
 * The cursor that replays from the first kept event of the GET stream: a session's first GET
 * stream takes what was sent for it before it opened (a question the upstream asked on
 * `initialized`, say).
 */
export const FROM_FIRST_EVENT = '0';

/**
 * The SDK transport's name for a session's GET stream in its event store. Events of POST
 * streams (an answer sent as SSE) are kept too, under their own stream ids, for their POSTs.
 */
export const GET_STREAM = '_GET_stream';

interface Kept {
  readonly id: string;
  readonly stream: string;
  readonly message: JSONRPCMessage;
}

/** The last `max` events of one session, across its streams. */
export class RecentEvents implements EventStore {
  readonly #kept: Kept[] = [];
  #next = 1;

  constructor(private readonly max = RECENT_EVENTS) {}

  /** How many events are kept now. */
  get size(): number {
    return this.#kept.length;
  }

  /** Whether a message for the GET stream is kept (one a first stream should replay). */
  get streamKept(): boolean {
    return this.#kept.some((kept) => kept.stream === GET_STREAM && 'jsonrpc' in kept.message);
  }

  storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    const id = String(this.#next++);
    this.#kept.push({ id, stream, message });
    if (this.#kept.length > this.max) this.#kept.shift();
    return Promise.resolve(id);
  }

  getStreamIdForEventId(id: string): Promise<string | undefined> {
    return Promise.resolve(this.#cursor(id)?.stream);
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const cursor = this.#cursor(lastEventId);
    if (cursor === undefined) throw new Error(`event ${lastEventId} is no longer kept`);
    const { stream, after } = cursor;
    for (const kept of this.#kept.slice(after)) {
      // The SDK's priming events are empty objects: nothing to deliver again.
      if (kept.stream === stream && 'jsonrpc' in kept.message) await send(kept.id, kept.message);
    }
    return stream;
  }

  /**
   * Where a replay after `id` starts (an index into what is kept) and on which stream. A cursor
   * older than what is kept starts from the oldest kept event of the first stream: a gap the
   * client cannot see, but a live stream, where refusing it would end the stream for good.
   */
  #cursor(id: string): { readonly stream: string; readonly after: number } | undefined {
    if (id === FROM_FIRST_EVENT) {
      const first = this.#kept.findIndex((kept) => kept.stream === GET_STREAM);
      return first < 0 ? undefined : { stream: GET_STREAM, after: first };
    }
    const at = this.#kept.findIndex((kept) => kept.id === id);
    if (at >= 0) return { stream: this.#kept[at]!.stream, after: at + 1 };
    const first = this.#kept[0];
    const known = Number(id) < Number(first?.id);
    return first !== undefined && known ? { stream: first.stream, after: 0 } : undefined;
  }
}
