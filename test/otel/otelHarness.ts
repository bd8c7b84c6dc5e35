// The real OpenTelemetry SDK around a projection: spans into the in-memory exporter (on the log's
// ids, through logIds), metrics collected on demand, and a tracker on a hand-moved clock.
import type { HrTime, SpanKind } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

import {
  createMemoryStore,
  createTracker,
  type RpcFacts,
  type ToolflightEvent,
  type TrackerOptions,
} from '../../src/index.js';
import { logIds, otelProjection, type OtelProjectionOptions } from '../../src/otel/index.js';

/** Epoch ms of the tracker's `at` 0 in these tests. */
export const TIME_ORIGIN = 1_767_225_600_000;

/** A reader whose `collect()` the test calls: no timers. */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A tracer provider on logIds into an in-memory exporter (after `processors`, when given), and
 * a meter provider to collect.
 */
export function sdk(
  options: { readonly sampler?: Sampler; readonly processors?: readonly SpanProcessor[] } = {},
) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    idGenerator: logIds,
    spanProcessors: [...(options.processors ?? []), new SimpleSpanProcessor(exporter)],
    ...(options.sampler && { sampler: options.sampler }),
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The span named `name` (exactly one; of that kind, when given). */
    span(name: string, kind?: SpanKind): ReadableSpan {
      const found = exporter
        .getFinishedSpans()
        .filter((span) => span.name === name && (kind === undefined || span.kind === kind));
      if (found.length !== 1) {
        const names = exporter.getFinishedSpans().map((span) => span.name);
        throw new Error(`expected one span ${name}, got ${found.length} of ${names.join(', ')}`);
      }
      return found[0]!;
    },
    /** Every metric the projection's meter holds now, by name. */
    async metrics(): Promise<Map<string, MetricData>> {
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
  };
}

/** A tracker with its whole log kept, on a clock the test moves; a capture `run-1` begun. */
export function tracked(options: TrackerOptions = {}) {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ clock: () => now, store, ...options });
  tracker.beginCapture('run-1');
  return {
    tracker,
    events: (): ToolflightEvent[] => [...store.read()],
    /** Move the clock to `at` ms. */
    at: (ms: number) => {
      now = ms;
    },
  };
}

/** The projection on `sdk`, with the test's time origin. */
export function project(
  harness: ReturnType<typeof sdk>,
  source: OtelProjectionOptions['source'],
  options: Partial<OtelProjectionOptions> = {},
) {
  return otelProjection({
    source,
    tracerProvider: harness.tracerProvider,
    meterProvider: harness.meterProvider,
    timeOrigin: TIME_ORIGIN,
    ...options,
  });
}

/** The W3C context an agent sent in `params._meta`, as the endpoint records it. */
export const AGENT_TRACE = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parent: 'b7ad6b7169203331',
  flags: 1,
  state: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
} as const;

/** What an endpoint learned of a `tools/call` for `send`. */
export const SEND_RPC: RpcFacts = {
  id: 7,
  session: 'sess-1',
  target: 'send',
  client: { address: '127.0.0.1', port: 53211 },
  trace: AGENT_TRACE,
};

/** Epoch milliseconds of an SDK time. */
export const msOf = ([seconds, nanos]: HrTime): number => seconds * 1000 + nanos / 1e6;

/** A span as the comparisons see it: everything a replay must reproduce. */
export function normalized(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parent: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    start: msOf(span.startTime),
    end: msOf(span.endTime),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: link.attributes,
    })),
    status: span.status,
  };
}

/** A histogram's one data point with these attributes. */
export function histogramPoint(metric: MetricData | undefined) {
  const histogram = metric as HistogramMetricData | undefined;
  return histogram?.dataPoints.map((point) => ({
    attributes: point.attributes,
    count: point.value.count,
    sum: point.value.sum,
    boundaries: point.value.buckets.boundaries,
  }));
}
