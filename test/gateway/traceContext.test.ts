// The gateway's client spans: one per request it sends a server, named by that server, a child
// of the agent request's span; and the agent's sessions noted open.
import { describe, expect, it } from 'vitest';

import type { EventOf, ToolflightEvent } from '../../src/index.js';
import { settled } from '../mcp/support.js';
import { callText, connectAgent, named, startGateway } from './support.js';

const ofType = <T extends ToolflightEvent['type']>(events: ToolflightEvent[], type: T) =>
  events.filter((event): event is EventOf<T> => event.type === type);

describe('gateway: client spans per server', () => {
  it("makes each tools/call sent to a server a client span under the agent's request", async () => {
    const { gateway, tracker, events } = await startGateway({
      servers: { alpha: named('alpha', 'echo'), beta: named('beta', 'echo') },
    });
    const agent = await connectAgent(gateway);
    await agent.listTools();
    expect(await callText(agent, 'beta__echo')).toEqual({ text: 'beta:echo', isError: false });
    await settled({ tracker });
    const log = events();
    const classified = ofType(log, 'request.classified').find(
      (e) => e.data.rpc?.target === 'beta__echo',
    )!;
    const call = ofType(log, 'upstream.requested').find((e) => e.data.method === 'tools/call')!;
    expect(call.data).toMatchObject({
      server: 'beta',
      target: 'echo',
      transport: 'pipe',
      request: classified.id,
      trace: {
        traceId: classified.data.rpc!.trace!.traceId,
        parent: classified.data.rpc!.trace!.spanId,
      },
    });
    expect(call.data.peer).toBeUndefined();
    const answered = ofType(log, 'upstream.answered').find(
      (e) => e.data.span === call.data.trace.spanId,
    );
    expect(answered?.data).toMatchObject({ server: 'beta', outcome: 'result' });
    // Every request sent upstream has its answer noted, the handshakes and lists included.
    const spans = ofType(log, 'upstream.requested').map((e) => e.data.trace.spanId);
    const ends = ofType(log, 'upstream.answered').map((e) => e.data.span);
    expect(new Set(ends)).toEqual(new Set(spans));
    expect(ofType(log, 'session.opened')).toHaveLength(1);
  });
});
