// `otlpExport`: the real OTLP/HTTP exporters of the OpenTelemetry SDK sending to a receiver on
// 127.0.0.1 that decodes what arrives; a collector that refuses, is not there or never answers
// is reported through `onError`, never thrown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';

import { ToolflightError } from '../../src/index.js';
import { otelProjection, otlpExport, type OtlpExportOptions } from '../../src/otel/index.js';
import { primeIds } from '../../src/otel/logIds.js';
import { freePort } from '../support/freePort.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceiverMode,
} from '../support/otlpReceiver.js';
import { TRACE, writeOtlpRecording } from '../support/otlpRecording.js';

const temp = mkdtempSync(join(tmpdir(), 'toolflight-otlp-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const MS = 1_000_000n;

async function receiver(mode: ReceiverMode = 'accept'): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver(mode);
  onTestFinished(() => started.close());
  return started;
}

/** An export whose failures are collected; shut down after the test. */
async function exportTo(endpoint: string, options: Partial<OtlpExportOptions> = {}) {
  const errors: unknown[] = [];
  const otlp = await otlpExport({ endpoint, onError: (error) => errors.push(error), ...options });
  onTestFinished(() => otlp.shutdown());
  return { otlp, errors };
}

/** A span with the given ids, from `startMs` to `endMs`, the way the projection starts one. */
function span(
  otlp: Awaited<ReturnType<typeof otlpExport>>,
  ids: { traceId: string; spanId: string; parent?: string },
  startMs: number,
  endMs: number,
): Span {
  const parent =
    ids.parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: ids.traceId,
          spanId: ids.parent,
          traceFlags: 1,
          isRemote: true,
        });
  primeIds(ids.traceId, ids.spanId);
  const started = otlp.tracerProvider.getTracer('test').startSpan(
    'tools/call send',
    {
      kind: SpanKind.SERVER,
      startTime: startMs,
      attributes: { 'mcp.method.name': 'tools/call' },
    },
    parent,
  );
  started.end(endMs);
  return started;
}

describe('otlpExport', { timeout: 30_000 }, () => {
  it('gives a span the ids the log recorded (logIds) and sends it to /v1/traces, where it decodes', async () => {
    const collector = await receiver();
    const { otlp, errors } = await exportTo(collector.url, { serviceName: 'proxy-under-test' });
    span(
      otlp,
      { traceId: TRACE.traceId, spanId: TRACE.serverSpanId, parent: TRACE.agentSpanId },
      1_790_000_000_000,
      1_790_000_000_250,
    );
    await otlp.flush();
    expect(collector.spans).toEqual([
      expect.objectContaining({
        traceId: TRACE.traceId,
        spanId: TRACE.serverSpanId,
        parentSpanId: TRACE.agentSpanId,
        name: 'tools/call send',
        kind: 'SERVER',
        startNanos: 1_790_000_000_000n * MS,
        endNanos: 1_790_000_000_250n * MS,
        attributes: { 'mcp.method.name': 'tools/call' },
      }),
    ]);
    expect(collector.spans[0]!.resource['service.name']).toBe('proxy-under-test');
    expect(collector.requests.map((request) => [request.path, request.contentType])).toEqual([
      ['/v1/traces', 'application/json'],
    ]);
    expect(otlp.counts()).toMatchObject({ spansEnded: 1, spansExported: 1, spansFailed: 0 });
    expect(errors).toEqual([]);
  });

  it('sends what the meter provider recorded to /v1/metrics on flush, as service toolflight', async () => {
    const collector = await receiver();
    const { otlp, errors } = await exportTo(collector.url);
    const histogram = otlp.meterProvider
      .getMeter('test')
      .createHistogram('mcp.server.operation.duration', { unit: 's' });
    histogram.record(0.25, { 'mcp.method.name': 'tools/call' });
    histogram.record(0.5, { 'mcp.method.name': 'tools/call' });
    await otlp.flush();
    const metric = collector.metrics.find(({ name }) => name === 'mcp.server.operation.duration');
    expect(metric).toMatchObject({
      unit: 's',
      type: 'histogram',
      points: [{ attributes: { 'mcp.method.name': 'tools/call' }, count: 2, sum: 0.75 }],
      resource: { 'service.name': 'toolflight' },
    });
    expect(otlp.counts()).toMatchObject({ metricExports: 1, metricExportsFailed: 0 });
    expect(errors).toEqual([]);
  });

  it('adds /v1/traces and /v1/metrics to a base endpoint and its path, as OTEL_EXPORTER_OTLP_ENDPOINT does, and sends the headers with each export', async () => {
    const collector = await receiver();
    const { otlp } = await exportTo(`${collector.url}/otlp/`, {
      headers: { 'x-api-key': 'the-key' },
    });
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    otlp.meterProvider.getMeter('test').createCounter('toolflight.test').add(1);
    await otlp.flush();
    expect(collector.requests.map(({ path }) => path).sort()).toEqual([
      '/otlp/v1/metrics',
      '/otlp/v1/traces',
    ]);
    expect(collector.requests.map(({ headers }) => headers['x-api-key'])).toEqual([
      'the-key',
      'the-key',
    ]);
  });

  it('takes an endpoint that ends in /v1/traces as the traces URL, metrics beside it', async () => {
    const collector = await receiver();
    const { otlp } = await exportTo(`${collector.url}/v1/traces`);
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    otlp.meterProvider.getMeter('test').createCounter('toolflight.test').add(1);
    await otlp.flush();
    expect(collector.requests.map(({ path }) => path).sort()).toEqual([
      '/v1/metrics',
      '/v1/traces',
    ]);
    expect(otlp.endpoint).toBe(`${collector.url}/v1/traces`);
  });

  it.each([
    ['not a URL', 'collector 4318', /not a URL/],
    ['a host and port without a scheme', 'localhost:4318', /got a localhost: URL/],
    [
      'a URL of another scheme',
      'grpc://localhost:4317',
      /must be an http\(s\) URL \(OTLP\/HTTP\), got a grpc: URL/,
    ],
    ['empty', '', /must be an http\(s\) URL/],
  ])('refuses an endpoint that is %s, before loading anything', async (_, endpoint, message) => {
    const refused = otlpExport({ endpoint });
    await expect(refused).rejects.toBeInstanceOf(ToolflightError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_argument', message });
  });

  it('refuses a header it cannot send without quoting its value, and never puts a credential of the URL in what it prints', async () => {
    const refused = otlpExport({
      endpoint: 'http://localhost:4318',
      headers: { authorization: 'Bearer sk-secret\r\nx-injected: 1' },
    });
    await expect(refused).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'the OTLP header authorization must be a one-line string (its value is not shown)',
    });
    const collector = await receiver();
    const { otlp } = await exportTo(
      collector.url.replace('http://', 'http://user:hunter2@') + '/?token=sk-secret',
    );
    expect(otlp.endpoint).toBe(`${collector.url}/`);
  });

  it('reports a collector answering 503 through onError, counts the spans failed, and never throws', async () => {
    const collector = await receiver('unavailable');
    const { otlp, errors } = await exportTo(collector.url);
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.clientSpanId }, 1000, 2000);
    await expect(otlp.flush()).resolves.toBeUndefined();
    expect(collector.requests.map(({ status }) => status)).toEqual([503]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ToolflightError);
    expect((errors[0] as Error).message).toBe(
      `OTLP export of 2 spans to ${collector.url}/ failed: the collector kept answering 429, 502, 503 or 504 until the timeout`,
    );
    expect(otlp.counts()).toMatchObject({ spansEnded: 2, spansExported: 0, spansFailed: 2 });
    await expect(otlp.shutdown()).resolves.toBeUndefined();
  });

  it('reports a collector that is not there (a closed port) through onError, spans and metrics alike', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    // Below the exporter's first retry backoff (about 1 s): it gives up after one attempt.
    const { otlp, errors } = await exportTo(url, { timeoutMs: 500 });
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    otlp.meterProvider.getMeter('test').createCounter('toolflight.test').add(1);
    await expect(otlp.shutdown()).resolves.toBeUndefined();
    const messages = errors.map((error) => (error as Error).message).sort();
    expect(messages).toEqual([
      expect.stringMatching(
        new RegExp(
          `^OTLP export of 1 span to ${url}/ failed: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^OTLP export of metrics to ${url}/ failed: connect ECONNREFUSED`),
      ),
    ]);
    expect(otlp.counts()).toMatchObject({ spansFailed: 1, metricExportsFailed: 1 });
  });

  it('reports a collector that never answers once the export timeout passed, and flush resolves', async () => {
    const collector = await receiver('hang');
    const { otlp, errors } = await exportTo(collector.url, { timeoutMs: 300 });
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    await expect(otlp.flush()).resolves.toBeUndefined();
    expect(errors.map((error) => (error as Error).message)).toEqual([
      `OTLP export of 1 span to ${collector.url}/ failed: Request timed out`,
    ]);
    expect(collector.requests).toHaveLength(1);
  });

  it('keeps exporting when the onError handler itself throws', async () => {
    const collector = await receiver('unavailable');
    const otlp = await otlpExport({
      endpoint: collector.url,
      onError: () => {
        throw new Error('the host handler is broken');
      },
    });
    onTestFinished(() => otlp.shutdown());
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.serverSpanId }, 1000, 2000);
    await expect(otlp.flush()).resolves.toBeUndefined();
    collector.mode = 'accept';
    span(otlp, { traceId: TRACE.traceId, spanId: TRACE.clientSpanId }, 1000, 2000);
    await otlp.flush();
    expect(collector.spans.map(({ spanId }) => spanId)).toEqual([TRACE.clientSpanId]);
  });

  it('answers flush and shutdown again after shutdown, without exporting or throwing', async () => {
    const collector = await receiver();
    const { otlp } = await exportTo(collector.url);
    await otlp.shutdown();
    await expect(otlp.shutdown()).resolves.toBeUndefined();
    await expect(otlp.flush()).resolves.toBeUndefined();
    expect(collector.requests).toEqual([]);
  });
});

describe('otlpExport with otelProjection (a recording)', { timeout: 30_000 }, () => {
  /** The recording exported once to a fresh receiver: the spans and metrics that arrived. */
  async function exportRecording(file: string) {
    const collector = await receiver();
    const events = writeOtlpRecording(file);
    const { otlp, errors } = await exportTo(collector.url);
    const projection = otelProjection({ source: events, ...otlp });
    await projection.done;
    await otlp.flush();
    expect(errors).toEqual([]);
    return { collector, events };
  }

  it("exports a SERVER span per request and a CLIENT span per upstream request, with the log's trace ids and parents", async () => {
    const { collector, events } = await exportRecording(join(temp, 'one.jsonl'));
    const at = (type: string, method?: string) =>
      BigInt(
        events.find(
          (event) =>
            event.type === type &&
            (method === undefined ||
              (event.type === 'request.classified' && event.data.method === method)),
        )!.at,
      ) * MS;
    const server = collector.spans.find(({ spanId }) => spanId === TRACE.serverSpanId);
    const client = collector.spans.find(({ spanId }) => spanId === TRACE.clientSpanId);
    expect(server).toMatchObject({
      traceId: TRACE.traceId,
      parentSpanId: TRACE.agentSpanId,
      name: 'tools/call send',
      kind: 'SERVER',
      startNanos: at('request.started'),
      // toMatchObject: these attributes among others.
      attributes: {
        'mcp.method.name': 'tools/call',
        'jsonrpc.request.id': '7',
        'mcp.session.id': 'sess-1',
        'gen_ai.tool.name': 'send',
        'gen_ai.operation.name': 'execute_tool',
        'toolflight.capture': 'otlp-run',
      },
    });
    expect(client).toMatchObject({
      traceId: TRACE.traceId,
      parentSpanId: TRACE.serverSpanId,
      name: 'tools/call send',
      kind: 'CLIENT',
      startNanos: at('upstream.requested'),
      endNanos: at('upstream.answered'),
      attributes: { 'mcp.method.name': 'tools/call' },
    });
    const list = collector.spans.find(({ name }) => name === 'tools/list');
    expect(list).toMatchObject({ kind: 'SERVER', parentSpanId: undefined });
    expect(list!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(list!.traceId).not.toBe(TRACE.traceId);
    const duration = collector.metrics.find(({ name }) => name === 'mcp.server.operation.duration');
    expect(duration).toMatchObject({ unit: 's', type: 'histogram' });
    expect(duration!.points.map(({ attributes }) => attributes['mcp.method.name']).sort()).toEqual([
      'tools/call',
      'tools/list',
    ]);
  });

  it('exports the same spans (ids, names, times, parents) each time the same recording is exported', async () => {
    const shape = ({ collector }: { collector: OtlpReceiver }) =>
      collector.spans
        .map(({ traceId, spanId, parentSpanId, name, kind, startNanos, endNanos }) => ({
          traceId,
          spanId,
          parentSpanId,
          name,
          kind,
          startNanos,
          endNanos,
        }))
        .sort((a, b) => a.spanId.localeCompare(b.spanId));
    const first = shape(await exportRecording(join(temp, 'first.jsonl')));
    const second = shape(await exportRecording(join(temp, 'second.jsonl')));
    expect(first).toHaveLength(3);
    expect(second).toEqual(first);
  });
});
