// @internal The SDK `EventStore` of one agent session: the last messages sent on its SSE
// streams, so that a client that reconnects with `Last-Event-ID` gets what it missed. Bounded:
// a session that nobody reads cannot grow the server's memory, and a cursor older than what is
// kept is answered as unknown (the client starts over), never with a partial replay.
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** How many messages one session keeps for replay unless told otherwise. */
export const RECENT_EVENTS = 256;

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

  storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    const id = String(this.#next++);
    this.#kept.push({ id, stream, message });
    if (this.#kept.length > this.max) this.#kept.shift();
    return Promise.resolve(id);
  }

  getStreamIdForEventId(id: string): Promise<string | undefined> {
    return Promise.resolve(this.#kept.find((kept) => kept.id === id)?.stream);
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const at = this.#kept.findIndex((kept) => kept.id === lastEventId);
    if (at < 0) throw new Error(`event ${lastEventId} is no longer kept`);
    const { stream } = this.#kept[at]!;
    for (const kept of this.#kept.slice(at + 1)) {
      // The SDK's priming events are empty objects: nothing to deliver again.
      if (kept.stream === stream && 'jsonrpc' in kept.message) await send(kept.id, kept.message);
    }
    return stream;
  }
}
