// A small recording for the OTLP export tests, made by a real tracker writing a JSONL store: an
// agent's `tools/call send` through a proxy hop (its SERVER span, the upstream CLIENT span, the
// tool call merged into the first) and a `tools/list` that carried no trace context.
import { createTracker, type ToolflightEvent } from '../../src/index.js';
import { createJsonlStore } from '../../src/store/index.js';

/** The trace facts the recording carries: what the exported spans must have as their ids. */
export const TRACE = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  /** The agent's span, from its `traceparent`: the SERVER span's remote parent. */
  agentSpanId: '00f067aa0ba902b7',
  /** The span the proxy opened for the agent's request. */
  serverSpanId: 'a1b2c3d4e5f60718',
  /** The span of the request the proxy sent upstream. */
  clientSpanId: '1122334455667788',
} as const;

/** Epoch milliseconds of the recording's first event; each event is 5 ms after the one before. */
export const RECORDING_START = 1_790_000_000_000;

/** Write the recording to `file` (a new JSONL file); its events, as written. */
export function writeOtlpRecording(file: string): ToolflightEvent[] {
  const store = createJsonlStore(file);
  let now = RECORDING_START - 5;
  const tracker = createTracker({ store, clock: () => (now += 5) });
  const capture = 'otlp-run';
  tracker.beginCapture(capture);
  tracker.note(
    'session.opened',
    {
      session: 'sess-1',
      protocolVersion: '2025-06-18',
      transport: 'tcp',
      server: { address: '127.0.0.1', port: 8080 },
    },
    { capture },
  );

  const call = tracker.requestStarted(capture);
  tracker.requestClassified(call, {
    method: 'tools/call',
    rpc: {
      id: 7,
      session: 'sess-1',
      target: 'send',
      trace: { traceId: TRACE.traceId, spanId: TRACE.serverSpanId, parent: TRACE.agentSpanId },
    },
  });
  const tool = tracker.toolCallStarted({ request: call, toolName: 'send', args: { to: '#ops' } });
  tracker.note(
    'upstream.requested',
    {
      server: 'upstream',
      method: 'tools/call',
      rpcId: 1,
      target: 'send',
      transport: 'tcp',
      peer: { address: '127.0.0.1', port: 9090 },
      ...(call === undefined ? {} : { request: call.id }),
      ...(tool === undefined ? {} : { toolCall: tool.id }),
      trace: { traceId: TRACE.traceId, spanId: TRACE.clientSpanId, parent: TRACE.serverSpanId },
    },
    { capture },
  );
  tracker.note(
    'upstream.answered',
    { server: 'upstream', span: TRACE.clientSpanId, outcome: 'result' },
    { capture },
  );
  tracker.toolCallResult(tool, {
    outcome: 'completed',
    isError: false,
    result: { content: [{ type: 'text', text: 'posted to #ops' }] },
  });
  tracker.toolCallFinished(tool);
  tracker.requestFinished(call, { status: 200 });

  const list = tracker.requestStarted(capture);
  tracker.requestClassified(list, { method: 'tools/list', rpc: { id: 8, session: 'sess-1' } });
  tracker.requestFinished(list, { status: 200 });
  tracker.note('session.closed', { session: 'sess-1', reason: 'deleted' }, { capture });
  const events = [...store.read()];
  store.close();
  return events;
}
