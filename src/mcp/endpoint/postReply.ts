// @internal The answer to one POST, in the form Streamable HTTP allows for it: plain JSON when
// nothing but the answers goes back (the cheap, usual case), an event stream as soon as a
// message related to the request (progress, a log line, a question for the agent) must reach
// the client before its answer. The choice is made at the first write, so a call that sends
// nothing on the way costs no stream.
import type { ServerResponse } from 'node:http';

import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import { answeredWithError } from './answeredError.js';

const sseEvent = (message: JSONRPCMessage): string =>
  `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** One POST's reply; `headers` go on it in either form (the session id, say). */
export class PostReply {
  #streaming = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Readonly<Record<string, string>> = {},
    /** Answer as an event stream even when nothing goes before the answers. */
    private readonly alwaysStream = false,
  ) {}

  /** Whether the client is gone or the reply is over: nothing more can reach it. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Run `listener` once the reply is over or its client went away (at once if it is). */
  onClose(listener: () => void): void {
    if (this.res.destroyed || this.res.writableFinished) listener();
    else this.res.once('close', listener);
  }

  /** Send a message before the answers; turns the reply into an event stream. */
  event(message: JSONRPCMessage): boolean {
    if (this.closed) return false;
    this.#stream();
    this.res.write(sseEvent(message));
    return true;
  }

  #stream(): void {
    if (this.#streaming) return;
    this.#streaming = true;
    this.res.writeHead(200, {
      ...this.headers,
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
  }

  /** Send the answers (202 when there are none) and end the reply. */
  finish(answers: readonly JSONRPCMessage[]): void {
    if (this.closed) return;
    if (this.alwaysStream && answers.length > 0) this.#stream();
    if (this.#streaming) {
      const only = answers.length === 1 ? answers[0] : undefined;
      if (only !== undefined && 'error' in only) answeredWithError(this.res, only.error);
      this.res.end(answers.map(sseEvent).join(''));
      return;
    }
    if (answers.length === 0) {
      this.res.writeHead(202, this.headers).end();
      return;
    }
    const only = answers.length === 1 ? answers[0] : undefined;
    if (only !== undefined && 'error' in only) answeredWithError(this.res, only.error);
    const body = JSON.stringify(only ?? answers);
    this.res.writeHead(200, {
      ...this.headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    this.res.end(body);
  }
}
