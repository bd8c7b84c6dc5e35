// @internal The agents' open `GET` SSE streams: the server-to-client channel of the proxy.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import type { LoopbackLogger } from '../LoopbackServer.js';

/**
 * Agents' standalone SSE streams, each on its own stateless SDK transport. Like the loopback
 * server's, they are not tracked as requests: one stays open for a whole session.
 */
export class AgentStreams {
  readonly #open = new Set<StreamableHTTPServerTransport>();
  #closed = false;

  constructor(private readonly logger: LoopbackLogger | undefined) {}

  get size(): number {
    return this.#open.size;
  }

  /** Serve a `GET`; resolves once the stream is open (or refused). */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#closed) {
      res.destroy();
      return;
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await transport.start();
    this.#open.add(transport);
    res.once('close', () => {
      this.#open.delete(transport);
      void transport.close().catch(() => undefined);
    });
    await transport.handleRequest(req, res);
  }

  /** Send a message to every open stream. */
  broadcast(message: JSONRPCMessage): void {
    for (const transport of this.#open) {
      transport.send(message).catch((error: unknown) => {
        this.logger?.warn(
          `could not send ${JSON.stringify(message).slice(0, 80)}: ${String(error)}`,
        );
      });
    }
  }

  /** End every stream; no stream opens afterwards. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(open.map((transport) => transport.close().catch(() => undefined)));
  }
}
