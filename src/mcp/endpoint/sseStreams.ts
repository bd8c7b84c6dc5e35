// @internal The open `GET` SSE streams of one endpoint (the loopback server's or the proxy's):
// the only channel a stateless server has to an idle client, so `list_changed` goes there.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../logger.js';
import { STREAM_RETRY_AFTER_S, type StreamSlots } from '../../http/streamSlots.js';
import { replyUnavailable } from './httpReplies.js';

/** The notification a client re-lists its tools on. */
export const LIST_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/tools/list_changed',
} as const satisfies JSONRPCMessage;

/**
 * Server-to-client streams, each on its own stateless SDK transport and tagged with who opened
 * it (`T`: the loopback server's role, nothing for the proxy). Streams are not requests in the
 * tracker: one stays open for a whole session and would keep its capture busy forever. Each
 * holds a slot of `slots` (in all and per credential) from its `GET` until its response closes.
 */
export class SseStreams<T = undefined> {
  readonly #open = new Map<StreamableHTTPServerTransport, T>();
  #closed = false;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly slots: StreamSlots,
  ) {}

  get size(): number {
    return this.#open.size;
  }

  /**
   * Serve a `GET` (the transport checks its headers) for `credential`, an opaque id of what the
   * auth step matched; resolves once the stream is open. Past a cap it answers 503.
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    tag: T,
    credential: string,
  ): Promise<void> {
    if (this.#closed) {
      res.destroy();
      return;
    }
    const slot = this.slots.acquire(credential);
    if (!slot.ok) {
      replyUnavailable(res, slot.message, STREAM_RETRY_AFTER_S);
      return;
    }
    res.once('close', slot.release);
    // A body nobody reads stops the socket reading, and then a client that went away is never
    // noticed: its stream (and slot) would stay open for good. Found by the fuzz tests.
    req.resume();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await transport.start();
    this.#open.set(transport, tag);
    res.once('close', () => {
      this.#open.delete(transport);
      void transport.close().catch(() => undefined);
    });
    await transport.handleRequest(req, res);
  }

  /** Send a message to every open stream whose tag `to` accepts (default: all). */
  send(message: JSONRPCMessage, to: (tag: T) => boolean = () => true): void {
    for (const [transport, tag] of this.#open) {
      if (!to(tag)) continue;
      transport.send(message).catch((error: unknown) => {
        this.logger?.warn(
          `could not send ${JSON.stringify(message).slice(0, 80)}: ${String(error)}`,
        );
      });
    }
  }

  /** End every stream (their clients see it close); no stream opens afterwards. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const open = [...this.#open.keys()];
    this.#open.clear();
    await Promise.all(open.map((transport) => transport.close().catch(() => undefined)));
  }
}
