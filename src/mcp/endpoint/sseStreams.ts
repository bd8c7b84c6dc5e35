// @internal The open `GET` SSE streams of one endpoint (the loopback server's or the proxy's):
// the only channel a stateless server has to an idle client, so `list_changed` goes there.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../logger.js';

/** The notification a client re-lists its tools on. */
export const LIST_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/tools/list_changed',
} as const satisfies JSONRPCMessage;

/**
 * Server-to-client streams, each on its own stateless SDK transport and tagged with who opened
 * it (`T`: the loopback server's role, nothing for the proxy). Streams are not requests in the
 * tracker: one stays open for a whole session and would keep its capture busy forever.
 */
export class SseStreams<T = undefined> {
  readonly #open = new Map<StreamableHTTPServerTransport, T>();
  #closed = false;

  constructor(private readonly logger: Logger | undefined) {}

  get size(): number {
    return this.#open.size;
  }

  /** Serve a `GET` (the transport checks its headers); resolves once the stream is open. */
  async serve(req: IncomingMessage, res: ServerResponse, tag: T): Promise<void> {
    if (this.#closed) {
      res.destroy();
      return;
    }
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
