// A real OTLP/HTTP receiver on 127.0.0.1 (a random port), as a collector would be: it takes
// POST /v1/traces and /v1/metrics (under any path prefix) with the JSON the OTLP/HTTP exporters
// send by default (`Content-Type: application/json`, ids in hex, times as decimal strings of
// nanoseconds), decodes them into plain spans and metric points, and wakes `waitFor` on each
// arrival. It can also answer 503 or never answer, to test failure handling.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** How the receiver answers an export. */
export type ReceiverMode =
  /** 200 with an empty ExportServiceResponse; what arrives is decoded and kept. */
  | 'accept'
  /**
   * 503 with `Retry-After: 60`: the exporter gives up at once, as that retry would come after
   * its deadline (without the header it retries 429/502/503/504 until its timeout).
   */
  | 'unavailable'
  /** Reads the request and never answers: the exporter's timeout ends it. */
  | 'hang';

/** A span as it arrived. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  readonly startNanos: bigint;
  readonly endNanos: bigint;
  readonly attributes: Record<string, unknown>;
  readonly links: readonly {
    readonly traceId: string;
    readonly spanId: string;
    readonly attributes: Record<string, unknown>;
  }[];
  readonly status: { readonly code: 'UNSET' | 'OK' | 'ERROR'; readonly message?: string };
  /** Its resource's attributes (`service.name`, …) and its instrumentation scope's name. */
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

/** One data point of a metric as it arrived. */
export interface ReceivedPoint {
  readonly attributes: Record<string, unknown>;
  /** A gauge's or a sum's value. */
  readonly value?: number;
  /** A histogram's count, sum, bucket counts and bounds. */
  readonly count?: number;
  readonly sum?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
}

/** A metric as it arrived in one export. */
export interface ReceivedMetric {
  readonly name: string;
  readonly unit: string | undefined;
  readonly type: 'histogram' | 'gauge' | 'sum' | 'other';
  readonly points: readonly ReceivedPoint[];
  readonly resource: Record<string, unknown>;
}

/** An HTTP request the receiver got, whatever it answered. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The status it was answered with; undefined while it hangs. */
  readonly status: number | undefined;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`: the endpoint to export to. */
  readonly url: string;
  /** Everything decoded so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  readonly metrics: readonly ReceivedMetric[];
  readonly requests: readonly ReceivedRequest[];
  /** How the next requests are answered. */
  mode: ReceiverMode;
  /**
   * Resolves with what `check` returns once that is neither undefined nor false: checked now,
   * then on every arrival (no polling). A test that waits for what never comes hits its timeout.
   */
  readonly waitFor: <T>(check: (receiver: OtlpReceiver) => T | undefined | false) => Promise<T>;
  /** Stop listening and drop every connection (a hanging one included). */
  readonly close: () => Promise<void>;
}

type Json = Record<string, unknown>;

/** A request as it is filled in: its status once answered. */
type Arrival = { -readonly [K in keyof ReceivedRequest]: ReceivedRequest[K] };

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS = ['UNSET', 'OK', 'ERROR'] as const;

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined;

/** An OTLP `AnyValue` as a plain value (int64 as a number; bytes as their base64). */
function anyValue(value: unknown): unknown {
  const v = (value ?? {}) as Json;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return num(v.intValue);
  if ('doubleValue' in v) return num(v.doubleValue);
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v) return list((v.arrayValue as Json | undefined)?.values).map(anyValue);
  if ('kvlistValue' in v) return attributes((v.kvlistValue as Json | undefined)?.values);
  return undefined;
}

/** OTLP `KeyValue`s as a plain object. */
function attributes(values: unknown): Record<string, unknown> {
  return Object.fromEntries(list(values).map((kv) => [String(kv.key), anyValue(kv.value)]));
}

const nanos = (value: unknown): bigint =>
  typeof value === 'string' || typeof value === 'number' ? BigInt(value) : 0n;

/** The spans of an ExportTraceServiceRequest. */
function decodeSpans(body: Json): ReceivedSpan[] {
  return list(body.resourceSpans).flatMap((resourceSpans) => {
    const resource = attributes((resourceSpans.resource as Json | undefined)?.attributes);
    return list(resourceSpans.scopeSpans).flatMap((scopeSpans) => {
      const name = (scopeSpans.scope as Json | undefined)?.name;
      const scopeName = typeof name === 'string' ? name : '';
      return list(scopeSpans.spans).map((span): ReceivedSpan => {
        const status = (span.status ?? {}) as Json;
        return {
          traceId: String(span.traceId),
          spanId: String(span.spanId),
          parentSpanId:
            typeof span.parentSpanId === 'string' && span.parentSpanId !== ''
              ? span.parentSpanId
              : undefined,
          name: String(span.name),
          kind: KINDS[num(span.kind) ?? 0] ?? 'UNSPECIFIED',
          startNanos: nanos(span.startTimeUnixNano),
          endNanos: nanos(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          links: list(span.links).map((link) => ({
            traceId: String(link.traceId),
            spanId: String(link.spanId),
            attributes: attributes(link.attributes),
          })),
          status: {
            code: STATUS[num(status.code) ?? 0] ?? 'UNSET',
            ...(typeof status.message === 'string' && status.message !== ''
              ? { message: status.message }
              : {}),
          },
          resource,
          scope: scopeName,
        };
      });
    });
  });
}

/** A data point of any metric type. */
function point(data: Json): ReceivedPoint {
  const value = num(data.asDouble) ?? num(data.asInt);
  return {
    attributes: attributes(data.attributes),
    ...(value === undefined ? {} : { value }),
    ...('count' in data ? { count: num(data.count) } : {}),
    ...('sum' in data ? { sum: num(data.sum) } : {}),
    ...('bucketCounts' in data ? { bucketCounts: list(data.bucketCounts).map(Number) } : {}),
    ...('explicitBounds' in data ? { explicitBounds: list(data.explicitBounds).map(Number) } : {}),
  };
}

/** The metrics of an ExportMetricsServiceRequest. */
function decodeMetrics(body: Json): ReceivedMetric[] {
  return list(body.resourceMetrics).flatMap((resourceMetrics) => {
    const resource = attributes((resourceMetrics.resource as Json | undefined)?.attributes);
    return list(resourceMetrics.scopeMetrics).flatMap((scopeMetrics) =>
      list(scopeMetrics.metrics).map((metric): ReceivedMetric => {
        const type = (['histogram', 'gauge', 'sum'] as const).find((name) => name in metric);
        const data = (type === undefined ? {} : metric[type]) as Json;
        return {
          name: String(metric.name),
          unit: typeof metric.unit === 'string' ? metric.unit : undefined,
          type: type ?? 'other',
          points: list(data.dataPoints).map(point),
          resource,
        };
      }),
    );
  });
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/** Start a receiver; close it after the test. */
export async function startOtlpReceiver(mode: ReceiverMode = 'accept'): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: ReceivedRequest[] = [];
  const wakers = new Set<() => void>();
  const arrived = () => {
    for (const wake of [...wakers]) wake();
  };

  const answer = (response: ServerResponse, entry: Arrival, status: number) => {
    entry.status = status;
    response.writeHead(status, { 'Content-Type': 'application/json' }).end('{}');
  };
  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      const entry: Arrival = {
        method: request.method ?? '',
        path,
        contentType: request.headers['content-type'],
        headers: request.headers,
        status: undefined,
      };
      const body = await bodyOf(request);
      requests.push(entry);
      // A collector behind a path prefix (`/otlp/v1/traces`) is one too.
      const signal = path.endsWith('/v1/traces')
        ? 'traces'
        : path.endsWith('/v1/metrics')
          ? 'metrics'
          : undefined;
      if (request.method !== 'POST' || signal === undefined) answer(response, entry, 404);
      else if (receiver.mode === 'hang') {
        // Never answered: the exporter's own timeout ends the request.
      } else if (receiver.mode === 'unavailable') {
        entry.status = 503;
        response.writeHead(503, { 'Retry-After': '60' }).end();
      } else if (!entry.contentType?.startsWith('application/json')) {
        // The exporters send JSON unless told otherwise: protobuf here is a test that changed.
        answer(response, entry, 415);
      } else {
        let decoded: Json;
        try {
          decoded = JSON.parse(body.toString('utf8')) as Json;
        } catch {
          answer(response, entry, 400);
          arrived();
          return;
        }
        if (signal === 'traces') spans.push(...decodeSpans(decoded));
        else metrics.push(...decodeMetrics(decoded));
        answer(response, entry, 200);
      }
      arrived();
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    mode,
    waitFor: (check) =>
      new Promise((resolve) => {
        const wake = () => {
          const result = check(receiver);
          if (result === undefined || result === false) return;
          wakers.delete(wake);
          resolve(result);
        };
        wakers.add(wake);
        wake();
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return receiver;
}
