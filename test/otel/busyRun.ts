// A run with every kind of span the projection makes, for the replay and hostile-input tests.
import { AGENT_TRACE, SEND_RPC, type tracked } from './otelHarness.js';

/** A run with every kind of span: merged and own tool calls, upstream, outbox, errors, leftovers. */
export function busyRun(run: ReturnType<typeof tracked>): void {
  const { tracker, at } = run;
  tracker.note('session.opened', {
    session: 'sess-1',
    protocolVersion: '2025-06-18',
    transport: 'tcp',
  });
  at(3);
  const send = tracker.requestStarted('run-1');
  tracker.requestClassified(send, {
    method: 'tools/call',
    rpc: {
      ...SEND_RPC,
      trace: { ...AGENT_TRACE, link: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) } },
    },
  });
  const call = tracker.toolCallStarted({ request: send, toolName: 'send', args: { to: '#ops' } });
  at(5);
  tracker.note(
    'upstream.requested',
    {
      server: 'slack',
      method: 'tools/call',
      rpcId: 1,
      target: 'send',
      transport: 'pipe',
      request: 'rq_1',
      toolCall: 'tc_1',
      trace: {
        traceId: AGENT_TRACE.traceId,
        spanId: '5fb397be34d26b51',
        parent: AGENT_TRACE.spanId,
      },
    },
    { capture: 'run-1' },
  );
  at(9);
  tracker.note('upstream.answered', {
    server: 'slack',
    span: '5fb397be34d26b51',
    outcome: 'unreachable',
    reason: 'ECONNREFUSED',
  });
  tracker.note('outbox.enqueued', { key: 'k-1', tool: 'send', toolCall: 'tc_1' });
  const audit = tracker.toolCallStarted({ request: send, toolName: 'audit' });
  tracker.toolCallResult(audit, { outcome: 'blocked', isError: false, reason: 'policy' });
  tracker.toolCallFinished(audit);
  tracker.toolCallResult(call, { outcome: 'completed', isError: false, result: { content: [] } });
  tracker.toolCallFinished(call);
  at(11.5);
  tracker.requestFinished(send, { status: 200 });
  at(20);
  tracker.note(
    'upstream.requested',
    {
      server: 'slack',
      method: 'tools/call',
      target: 'send',
      transport: 'pipe',
      outbox: 'k-1',
      trace: { traceId: 'ef'.repeat(16), spanId: '0123456789abcdef' },
    },
    { capture: 'run-1' },
  );
  at(24);
  tracker.note('upstream.answered', {
    server: 'slack',
    span: '0123456789abcdef',
    outcome: 'result',
  });
  tracker.note('outbox.delivered', { key: 'k-1', tool: 'send' });
  const list = tracker.requestStarted('run-1');
  tracker.requestClassified(list, { method: 'tools/list', rpc: { id: 'x', session: 'sess-1' } });
  tracker.requestFinished(list, { error: { code: -32601, message: 'not here' } });
  const lone = tracker.toolCallStarted({ capture: 'run-1', toolName: 'lookup' });
  tracker.toolCallFinished(lone);
  at(30);
  // Still going when the run ends.
  tracker.requestClassified(tracker.requestStarted('run-1'), { method: 'ping' });
  tracker.note('session.closed', { session: 'sess-1', reason: 'DELETE' });
}
