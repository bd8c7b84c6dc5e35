// @internal The open `GET` SSE streams of one loopback server, and `list_changed` on them.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoopbackLogger } from './LoopbackServer.js';
import type { RequestServer } from './requestServer.js';

interface Stream extends RequestServer {
  readonly owner: boolean;
}

/**
 * Server-to-client messages in stateless mode. A `GET` opens a stream that stays open until the
 * client or the server ends it; it is the only channel a server has to an idle client, so tool
 * list changes go there. Streams are not requests in the tracker: one stays open for the whole
 * session and would keep its capture busy forever.
 */
export class SseStreams {
  readonly #open = new Set<Stream>();
  #closed = false;

  constructor(private readonly logger: LoopbackLogger | undefined) {}

  get size(): number {
    return this.#open.size;
  }

  /** Serve a `GET` with `connected` (a fresh server); resolves when the stream ended. */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    owner: boolean,
    connected: RequestServer,
  ): Promise<void> {
    const stream: Stream = { ...connected, owner };
    if (this.#closed) {
      await connected.server.close();
      res.destroy();
      return;
    }
    this.#open.add(stream);
    res.once('close', () => {
      this.#open.delete(stream);
      stream.server.close().catch((error: unknown) => {
        this.logger?.warn(`could not close an SSE stream's MCP server: ${String(error)}`);
      });
    });
    await stream.transport.handleRequest(req, res);
  }

  /** Send `notifications/tools/list_changed` to the streams of the audiences that changed. */
  notifyToolsChanged(changed: { readonly owner: boolean; readonly nonOwner: boolean }): void {
    for (const stream of this.#open) {
      if (!(stream.owner ? changed.owner : changed.nonOwner)) continue;
      stream.server.sendToolListChanged().catch((error: unknown) => {
        this.logger?.warn(`could not send tools/list_changed: ${String(error)}`);
      });
    }
  }

  /** End every stream (their clients see the stream close); no stream opens afterwards. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const streams = [...this.#open];
    this.#open.clear();
    await Promise.all(streams.map((stream) => stream.server.close()));
  }
}
