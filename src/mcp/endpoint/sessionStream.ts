// @internal The SDK side of one agent session: the stateful `StreamableHTTPServerTransport` that
// answers the session's `initialize` (and so knows its id), serves its GET stream with replay
// (`Last-Event-ID`, from a bounded `EventStore`), and refuses what the spec refuses there.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import type { Logger } from '../../logger.js';
import { STREAM_RETRY_AFTER_S, type StreamSlots } from '../../http/streamSlots.js';
import { replyUnavailable } from './httpReplies.js';
import { FROM_FIRST_EVENT, RecentEvents } from './recentEvents.js';

/** One session's SDK transport and what it sent on its GET stream. */
export class SessionStream {
  readonly transport: StreamableHTTPServerTransport;
  readonly #events = new RecentEvents();
  #streamed = false;
  #open = 0;

  constructor(
    id: string,
    private readonly logger: Logger | undefined,
    options: { readonly jsonResponse: boolean; readonly onclose: () => void },
  ) {
    this.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      enableJsonResponse: options.jsonResponse,
      eventStore: this.#events,
    });
    this.transport.onclose = options.onclose;
  }

  /** GET streams of this session open now. */
  get open(): number {
    return this.#open;
  }

  /** Send on the GET stream; kept for replay while none is open. */
  send(message: JSONRPCMessage): void {
    this.transport.send(message).catch((error: unknown) => {
      this.logger?.warn(`could not send to an agent session: ${String(error)}`);
    });
  }

  /**
   * Serve a GET for this session: take a stream slot of `credential` (503 past the caps) and
   * hold the session (`hold`: not idle while the stream is open) until the stream closes.
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    slots: StreamSlots,
    credential: string,
    hold: () => () => void,
  ): Promise<void> {
    const slot = slots.acquire(credential);
    if (!slot.ok) {
      replyUnavailable(res, slot.message, STREAM_RETRY_AFTER_S);
      return;
    }
    const release = hold();
    this.#open += 1;
    // Messages sent before the session's first stream opened were kept for it: replay them.
    const first = !this.#streamed;
    if (first && this.#events.streamKept && req.headers['last-event-id'] === undefined) {
      req.headers['last-event-id'] = FROM_FIRST_EVENT;
    }
    res.once('close', () => {
      this.#open -= 1;
      slot.release();
      release();
    });
    // A body nobody reads stops the socket reading, and then a client that went away is never
    // noticed: its stream (and slot) would stay open for good.
    req.resume();
    await this.transport.handleRequest(req, res);
    // Only a stream the SDK opened had the replay: after a refused GET, the next one still gets it.
    if (first && res.statusCode === 200) this.#streamed = true;
  }

  /** End the transport: its streams close. */
  close(): Promise<void> {
    return this.transport.close().catch(() => undefined);
  }
}
