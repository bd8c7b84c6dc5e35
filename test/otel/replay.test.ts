// Determinism: the spans a live run gave are the spans its recording gives, exported tomorrow,
// in another process (names, kinds, ids, parents, attributes, times, links, status).
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';

import { decodeEvent, encodeEvent, type ToolflightEvent } from '../../src/index.js';
import {
  AGENT_TRACE,
  histogramPoint,
  msOf,
  normalized,
  project,
  sdk,
  SEND_RPC,
  tracked,
} from './otelHarness.js';

/** A run with every kind of span: merged and own tool calls, upstream, outbox, errors, leftovers. */
function busyRun(run: ReturnType<typeof tracked>): void {
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

/** The recording as a file holds it: each event encoded and decoded again. */
const recorded = (events: readonly ToolflightEvent[]) =>
  events.map((event) => decodeEvent(encodeEvent(event)));

async function* slowly(events: readonly ToolflightEvent[]): AsyncGenerator<ToolflightEvent> {
  for (const event of events) {
    await Promise.resolve();
    yield event;
  }
}

describe('a recording replays to the spans of its live run', () => {
  it('gives identical spans and metrics live, from an array and from an async iterable', async () => {
    const live = sdk();
    const run = tracked();
    const projection = project(live, run.tracker);
    busyRun(run);
    projection.close();
    await projection.done;

    const fromArray = sdk();
    await project(fromArray, recorded(run.events())).done;
    const fromStream = sdk();
    await project(fromStream, slowly(recorded(run.events()))).done;

    const spans = live.spans().map(normalized);
    expect(spans.map((span) => span.name)).toEqual([
      'tools/call send',
      'execute_tool audit',
      'tools/call send',
      'tools/call send',
      'tools/list',
      'execute_tool lookup',
      'ping',
    ]);
    expect(fromArray.spans().map(normalized)).toEqual(spans);
    expect(fromStream.spans().map(normalized)).toEqual(spans);
    const durations = async (harness: ReturnType<typeof sdk>) =>
      histogramPoint((await harness.metrics()).get('mcp.server.operation.duration'));
    expect(await durations(fromArray)).toEqual(await durations(live));
  });

  it('gives the same ids on every replay, derived ones included', async () => {
    const run = tracked();
    busyRun(run);
    const ids = async () => {
      const harness = sdk();
      await project(harness, recorded(run.events())).done;
      return harness.spans().map((span) => [span.spanContext(), span.parentSpanContext?.spanId]);
    };
    expect(await ids()).toEqual(await ids());
  });

  it('Seen: span times from a clock counting from 0 came out shifted by the process start', async () => {
    // The SDK reads a millisecond number below half the epoch as performance.now(); the
    // projection hands it HrTime, so `at` 11.5 with origin 0 is 11.5 ms after the epoch.
    const run = tracked();
    busyRun(run);
    const harness = sdk();
    await project(harness, run.events(), { timeOrigin: 0 }).done;
    const first = harness.span('tools/call send', SpanKind.SERVER);
    expect([msOf(first.startTime), msOf(first.endTime)]).toEqual([3, 11.5]);
  });
});
