// A tracker command that throws on a server path (a refused command that throws, a host's
// observer gone wrong) is told to the host's logger, with the error's message, and never
// reaches the agent's request.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, type EventStore } from '../../src/index.js';
import { recordSafely } from '../../src/mcp/endpoint/recordSafely.js';
import { createLoopbackServer } from '../../src/mcp/index.js';
import { clientTransport, echoTool, onCleanup } from './support.js';

describe('recordSafely', () => {
  it("logs what it could not record with the error's message, and does not throw", () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    recordSafely(logger, 'outbox.enqueued', () => {
      throw new Error('disk full');
    });
    recordSafely(logger, 'a request', () => {
      // A value that is not an Error, as a host's store might throw.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'not an Error';
    });
    recordSafely(logger, 'a request', () => 'recorded');
    expect(warnings).toEqual([
      'toolflight could not record outbox.enqueued: disk full',
      'toolflight could not record a request: not an Error',
    ]);
    expect(() =>
      recordSafely(undefined, 'a request', () => {
        throw new Error('disk full');
      }),
    ).not.toThrow();
  });

  it('answers a call whose result the store cannot record, and leaves the capture idle', async () => {
    const store = createMemoryStore();
    const failing: EventStore = {
      ...store,
      append: (event) => {
        if (event.type === 'toolCall.result') throw new Error('disk full');
        store.append(event);
      },
    };
    const tracker = createTracker({ store: failing, onStoreError: () => undefined });
    tracker.beginCapture('run-1');
    const warnings: string[] = [];
    const server = await createLoopbackServer({
      tracker,
      tools: [echoTool],
      logger: { warn: (message) => warnings.push(message) },
    });
    onCleanup(() => server.close());
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(clientTransport(server, 'owner', 'run-1'));
    onCleanup(() => client.close());
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: '{"text":"hi"}' }]);
    // The tracker holds what its store refused (and says so through onStoreError): the call is
    // recorded as finished and the capture is not left busy.
    expect(tracker.storeHealth()).toMatchObject({ state: 'failing', error: 'disk full' });
    expect(tracker.capture('run-1')?.inFlight).toBe(0);
    expect(warnings).toEqual([]);
  });
});
