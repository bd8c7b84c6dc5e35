// The gateway's client spans: one per request it sends a server, named by that server, a child
// of the agent request's span; and the agent's sessions noted open.
import { describe, expect, it } from 'vitest';

import type { EventOf, ToolflightEvent } from '../../src/index.js';
import { settled } from '../mcp/support.js';
import { callText, connectAgent, named, startGateway, STARTED_MS } from './support.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const ofType = <T extends ToolflightEvent['type']>(events: ToolflightEvent[], type: T) =>
  events.filter((event): event is EventOf<T> => event.type === type);

describe('gateway: client spans per server', () => {
  // Two tsx children start per agent: allow for a loaded machine (vitest's default is 5 s).
  it(
    "makes each tools/call sent to a server a client span under the agent's request",
    { timeout: 60_000 },
    async () => {
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
      // Every request sent upstream has its answer noted, the handshakes and lists included. The
      // gateway's own list of a server is nobody's, so `settled` does not wait for its answer.
      const unanswered = () => {
        const now = events();
        const ends = new Set(ofType(now, 'upstream.answered').map((e) => e.data.span));
        return ofType(now, 'upstream.requested')
          .filter((e) => !ends.has(e.data.trace.spanId))
          .map((e) => `${e.data.server} ${e.data.method}`);
      };
      await expect.poll(unanswered, { timeout: STARTED_MS }).toEqual([]);
      expect(ofType(log, 'session.opened')).toHaveLength(1);
    },
  );

  it(
    "Seen: the tools/list and prompts/list the gateway fans out went to every server as roots of unrelated traces, with no capture, and so did each server's handshake",
    { timeout: 60_000 },
    async () => {
      const prompting = (label: string) => ({
        ...named(label, 'echo'),
        env: { NAMED_PROMPTS: 'good' },
      });
      const { gateway, tracker, events } = await startGateway({
        servers: { alpha: prompting('alpha'), beta: prompting('beta') },
      });
      const agent = await connectAgent(gateway);
      await agent.listTools({ _meta: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
      await agent.listPrompts({ _meta: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` } });
      await settled({ tracker });
      const classified = (method: string) =>
        ofType(events(), 'request.classified').find((e) => e.data.method === method)!;
      const sentFor = (method: string, server: string, request: string) =>
        ofType(events(), 'upstream.requested').find(
          (e) => e.data.method === method && e.data.server === server && e.data.request === request,
        );
      for (const method of ['tools/list', 'prompts/list']) {
        const request = classified(method);
        const span = request.data.rpc!.trace!;
        expect(span.traceId).toBe(TRACE);
        for (const server of ['alpha', 'beta']) {
          // A server slower than the list wait is sent its list all the same, a little later.
          await expect
            .poll(() => sentFor(method, server, request.id), { timeout: 30_000 })
            .toBeDefined();
          const sent = sentFor(method, server, request.id)!;
          expect(sent.capture).toBe('run-1');
          expect(sent.data.trace).toMatchObject({ traceId: TRACE, parent: span.spanId });
        }
      }
      // The agent's first list opened its part of each server: that handshake is the list's.
      const list = classified('tools/list');
      for (const server of ['alpha', 'beta']) {
        const hello = sentFor('initialize', server, list.id);
        expect(hello?.capture).toBe('run-1');
        expect(hello?.data.trace).toMatchObject({
          traceId: TRACE,
          parent: list.data.rpc!.trace!.spanId,
        });
      }
    },
  );
});
