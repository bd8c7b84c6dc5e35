// The projection's metrics, collected from the real SDK: the MCP conventions' duration
// histograms (names, unit, attributes, bucket boundaries) and toolflight's gauges.
import type { GaugeMetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';

import { histogramPoint, project, sdk, SEND_RPC, tracked } from './otelHarness.js';

/** The MCP conventions' `ExplicitBucketBoundaries`, `docs/gen-ai/mcp.md`. */
const MCP_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

const gauge = (metric: unknown) =>
  (metric as GaugeMetricData | undefined)?.dataPoints.map((point) => ({
    attributes: point.attributes,
    value: point.value,
  }));

describe('metrics', () => {
  it('records mcp.server.operation.duration per finished SERVER span, in seconds', async () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    tracker.note('session.opened', {
      session: 'sess-1',
      protocolVersion: '2025-06-18',
      transport: 'pipe',
    });
    const ok = tracker.requestStarted('run-1');
    tracker.requestClassified(ok, { method: 'tools/call', rpc: SEND_RPC });
    at(250);
    tracker.requestFinished(ok, { status: 200 });
    const failed = tracker.requestStarted('run-1');
    tracker.requestClassified(failed, { method: 'prompts/get', rpc: { target: 'review' } });
    at(260);
    tracker.requestFinished(failed, { error: { code: -32602, message: 'no such prompt' } });

    const metric = (await otel.metrics()).get('mcp.server.operation.duration');
    expect(metric?.descriptor.unit).toBe('s');
    expect(histogramPoint(metric)).toEqual([
      {
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'send',
          'mcp.protocol.version': '2025-06-18',
          'network.transport': 'pipe',
        },
        count: 1,
        sum: 0.25,
        boundaries: MCP_BUCKETS,
      },
      {
        attributes: {
          'mcp.method.name': 'prompts/get',
          'gen_ai.prompt.name': 'review',
          'error.type': '-32602',
          'rpc.response.status_code': '-32602',
        },
        count: 1,
        sum: 0.01,
        boundaries: MCP_BUCKETS,
      },
    ]);
  });

  it('records mcp.client.operation.duration per answered CLIENT span', async () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    tracker.note('upstream.requested', {
      server: 'slack',
      method: 'tools/list',
      transport: 'tcp',
      protocolVersion: '2025-06-18',
      trace: { traceId: SEND_RPC.trace!.traceId, spanId: '5fb397be34d26b51' },
    });
    at(1_500);
    tracker.note('upstream.answered', {
      server: 'slack',
      span: '5fb397be34d26b51',
      outcome: 'timed_out',
    });
    const metric = (await otel.metrics()).get('mcp.client.operation.duration');
    expect(histogramPoint(metric)).toEqual([
      {
        attributes: {
          'mcp.method.name': 'tools/list',
          'mcp.protocol.version': '2025-06-18',
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
          'error.type': 'timeout',
        },
        count: 1,
        sum: 1.5,
        boundaries: MCP_BUCKETS,
      },
    ]);
  });

  it('records mcp.server.session.duration from session.opened to session.closed', async () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    at(1_000);
    tracker.note('session.opened', {
      session: 's',
      protocolVersion: '2025-06-18',
      transport: 'tcp',
    });
    at(4_000);
    tracker.note('session.closed', { session: 's', reason: 'DELETE' });
    tracker.note('session.closed', { session: 's', reason: 'again: not open any more' });
    expect(histogramPoint((await otel.metrics()).get('mcp.server.session.duration'))).toEqual([
      {
        attributes: {
          'mcp.protocol.version': '2025-06-18',
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
        },
        count: 1,
        sum: 3,
        boundaries: MCP_BUCKETS,
      },
    ]);
  });

  it('records toolflight.idle_wait.duration with its result', async () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const wait = { timeoutMs: 5_000, admissionGraceMs: 250 };
    tracker.note('idle.waited', { result: 'idle', waitedMs: 300, ...wait });
    tracker.note('idle.waited', { result: 'timed_out', waitedMs: 5_000, ...wait });
    expect(histogramPoint((await otel.metrics()).get('toolflight.idle_wait.duration'))).toEqual([
      {
        attributes: { 'toolflight.idle.result': 'idle' },
        count: 1,
        sum: 0.3,
        boundaries: MCP_BUCKETS,
      },
      {
        attributes: { 'toolflight.idle.result': 'timed_out' },
        count: 1,
        sum: 5,
        boundaries: MCP_BUCKETS,
      },
    ]);
  });

  it('observes toolflight.inflight per capture: requests and tool calls not finished', async () => {
    const otel = sdk();
    const { tracker } = tracked();
    const projection = project(otel, tracker);
    tracker.beginCapture('run-2');
    const request = tracker.requestStarted('run-1');
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'lookup' });
    const inflight = async () => gauge((await otel.metrics()).get('toolflight.inflight'));
    expect(await inflight()).toEqual([
      { attributes: { 'toolflight.capture': 'run-2' }, value: 0 },
      { attributes: { 'toolflight.capture': 'run-1' }, value: 3 },
    ]);
    tracker.toolCallFinished(call);
    tracker.requestFinished(request);
    expect(await inflight()).toContainEqual({
      attributes: { 'toolflight.capture': 'run-1' },
      value: 1,
    });
    expect((await otel.metrics()).get('toolflight.inflight')?.descriptor.unit).toBe('{operation}');
    // Ended: the open lookup is unfinished, and nothing is in flight any more.
    projection.close();
    expect(await inflight()).toEqual([
      { attributes: { 'toolflight.capture': 'run-2' }, value: 0 },
      { attributes: { 'toolflight.capture': 'run-1' }, value: 0 },
    ]);
  });

  it('observes the outbox: pending (enqueued, not delivered or rejected) and dead letters', async () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'send' });
    tracker.note('outbox.enqueued', { key: 'k2', tool: 'send' });
    tracker.note('outbox.enqueued', { key: 'k3', tool: 'send' });
    tracker.note('outbox.delivered', { key: 'k1', tool: 'send' });
    tracker.note('outbox.rejected', { key: 'k2', tool: 'send', reason: 'HTTP 422' });
    const metrics = await otel.metrics();
    expect(gauge(metrics.get('toolflight.outbox.pending'))).toEqual([{ attributes: {}, value: 1 }]);
    expect(gauge(metrics.get('toolflight.outbox.dead_letters'))).toEqual([
      { attributes: {}, value: 1 },
    ]);
  });
});
