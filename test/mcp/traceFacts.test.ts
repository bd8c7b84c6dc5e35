// The loopback server notes the same facts as the proxy for spans: the request's JSON-RPC id,
// session, target and span (a child of `params._meta.traceparent`), and the session opened.
import { describe, expect, it } from 'vitest';

import type { EventOf, ToolflightEvent } from '../../src/index.js';
import { settled, startHarness } from './support.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

const ofType = <T extends ToolflightEvent['type']>(events: ToolflightEvent[], type: T) =>
  events.filter((event): event is EventOf<T> => event.type === type);

describe('loopback server: the facts of spans', () => {
  it("classifies a tools/call with its id, session, target and a child of the agent's span", async () => {
    const h = await startHarness();
    const agent = await h.connect();
    await agent.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: `00-${TRACE}-${PARENT}-00` },
    });
    await settled(h);
    const events = h.events();
    const opened = ofType(events, 'session.opened');
    expect(opened).toHaveLength(1);
    const classified = ofType(events, 'request.classified').find(
      (e) => e.data.method === 'tools/call',
    )!;
    expect(classified.data.rpc).toMatchObject({
      session: opened[0]!.data.session,
      target: 'echo',
      client: { address: '127.0.0.1' },
      trace: { traceId: TRACE, parent: PARENT, flags: 0 },
    });
    expect(['string', 'number']).toContain(typeof classified.data.rpc?.id);
  });

  it('Seen: a JSON-RPC error answer was noted only as HTTP 200, so its span had no error.type', async () => {
    const h = await startHarness();
    const agent = await h.connect();
    const refused = await agent.getPrompt({ name: 'nope' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    await settled(h);
    const events = h.events();
    const classified = ofType(events, 'request.classified').find(
      (e) => e.data.method === 'prompts/get',
    )!;
    const finished = ofType(events, 'request.finished').find((e) => e.id === classified.id);
    expect(typeof finished?.data.error?.code).toBe('number');
    expect(finished?.data.error?.code).toBeLessThan(0);
  });
});
