// OTLP/HTTP export for the projection: a tracer provider and a meter provider wired to a
// collector, loaded from the OpenTelemetry SDK (optional peers) only when asked for.
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

import { messageOf, ToolflightError } from '../errors.js';
import { logIds } from './logIds.js';
import {
  countedMetricExporter,
  countedSpanExporter,
  endedSpanCounter,
  otlpCounters,
  otlpFailures,
} from './otlpReporting.js';
import { MAX_TIMEOUT_MS } from './otlpLimits.js';
import { otlpUrls } from './otlpUrls.js';

/** What `otlpExport` takes. */
export interface OtlpExportOptions {
  /**
   * The collector's OTLP/HTTP endpoint, an http(s) URL. A base URL (`http://localhost:4318`)
   * gets `/v1/traces` and `/v1/metrics` appended, as `OTEL_EXPORTER_OTLP_ENDPOINT` does; a URL
   * that already ends in `/v1/traces` is used as it is (metrics go to `/v1/metrics` beside it).
   */
  readonly endpoint: string;
  /** Sent with every export (an API key, say). Never printed or put in an error message. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Spans held for export before the oldest are dropped, counted as not exported. Default 2048
   * (the SDK's); raise it when one event may end many spans at once (a capture cleared with
   * thousands open, a recording's end).
   */
  readonly maxQueueSize?: number;
  /** The resource's `service.name`. Default `toolflight`. */
  readonly serviceName?: string;
  /**
   * How long one export may take, the exporter's retries of 429/502/503/504 and refused
   * connections included. Default 10000 (the OTLP exporters' own default).
   */
  readonly timeoutMs?: number;
  /**
   * Called with a `ToolflightError` for each export that failed (the spans or metrics of that
   * export are lost); never thrown into the host. Default: ignored.
   */
  readonly onError?: (error: unknown) => void;
}

/** What an OTLP export has sent so far. */
export interface OtlpExportCounts {
  /** Spans ended (sampled) on the tracer provider: each is exported, fails, or is dropped. */
  readonly spansEnded: number;
  /** Spans the collector accepted. */
  readonly spansExported: number;
  /** Spans in exports that failed (refused, unreachable, timed out). */
  readonly spansFailed: number;
  /** Metric exports (one per collection) the collector accepted, and those that failed. */
  readonly metricExports: number;
  readonly metricExportsFailed: number;
}

/** A running OTLP export: the providers to give `otelProjection`, and how to end it. */
export interface OtlpExport {
  /** Spans go to `/v1/traces` in batches; its ids come from `logIds`. */
  readonly tracerProvider: TracerProvider;
  /** Metrics go to `/v1/metrics` every 60 s, and on `flush`. */
  readonly meterProvider: MeterProvider;
  /** The endpoint as it may be printed: no user, password or query. */
  readonly endpoint: string;
  /** What was exported, and what failed, so far. */
  readonly counts: () => OtlpExportCounts;
  /** Export every span ended and the metrics now. Never rejects: failures go to `onError`. */
  readonly flush: () => Promise<void>;
  /** Flush, then stop both providers; later calls return the same promise. Never rejects. */
  readonly shutdown: () => Promise<void>;
}

/** The SDK packages export needs, in the order they are named to install. */
const PEERS = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/resources',
] as const;

/** How often metrics go out between flushes (the SDK's `OTEL_METRIC_EXPORT_INTERVAL`). */
const METRIC_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `error` says that `name` itself is not installed (not one of its own imports). */
const isAbsent = (error: unknown, name: string): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    messageOf(error).includes(`'${name}'`)
  );
};

/** A module that loaded (checked before). */
const value = <T>(result: PromiseSettledResult<T>): T =>
  (result as PromiseFulfilledResult<T>).value;

/** The five SDK packages, or a `missing_peer` error naming each one to install. */
async function loadPeers() {
  const loaded = await Promise.allSettled([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-metrics-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const failed = PEERS.flatMap((name, i) => {
    const result = loaded[i]!;
    return result.status === 'rejected' ? [{ name, error: result.reason as unknown }] : [];
  });
  if (failed.length > 0) {
    const absent = failed.filter(({ name, error }) => isAbsent(error, name));
    const names = failed.map(({ name }) => name);
    throw new ToolflightError(
      'missing_peer',
      absent.length === failed.length
        ? `OTLP export needs the optional peer dependenc${names.length === 1 ? 'y' : 'ies'} ${names.join(', ')}, not installed: run \`npm install ${names.join(' ')}\``
        : `OTLP export could not load ${names.join(', ')} (${messageOf(failed[0]!.error)}): run \`npm install ${names.join(' ')}\` again`,
      { cause: failed[0]!.error },
    );
  }
  const [trace, traceExporter, metrics, metricExporter, resources] = loaded;
  return {
    trace: value(trace),
    traceExporter: value(traceExporter),
    metrics: value(metrics),
    metricExporter: value(metricExporter),
    resources: value(resources),
  };
}

/** Spans held for export before the oldest are dropped (the SDK's default is 2,048). */
const DEFAULT_QUEUE = 2048;

/** The options, checked: a `ToolflightError` `invalid_argument` never quotes a header value. */
function checked(options: OtlpExportOptions) {
  const urls = otlpUrls(options.endpoint);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!HEADER_NAME.test(name)) {
      throw new ToolflightError(
        'invalid_argument',
        // Not quoted: a token pasted without its name (`=` of base64 padding) would show.
        'an OTLP header name must be an HTTP field name (letters, digits, -)',
      );
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new ToolflightError(
        'invalid_argument',
        `the OTLP header ${name} must be a one-line string (its value is not shown)`,
      );
    }
    headers[name] = value;
  }
  const serviceName = options.serviceName ?? 'toolflight';
  if (typeof serviceName !== 'string' || serviceName.trim() === '') {
    throw new ToolflightError('invalid_argument', 'the OTLP service name must not be empty');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new ToolflightError(
      'invalid_argument',
      `the OTLP timeout must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`,
    );
  }
  const { maxQueueSize } = options;
  if (maxQueueSize !== undefined && (!Number.isSafeInteger(maxQueueSize) || maxQueueSize <= 0)) {
    throw new ToolflightError(
      'invalid_argument',
      `the OTLP span queue must be a positive whole number, got ${String(maxQueueSize)}`,
    );
  }
  return { urls, headers, serviceName, timeoutMs };
}

/**
 * Export spans and metrics to an OpenTelemetry collector over OTLP/HTTP (JSON): pass its
 * providers to `otelProjection`. Needs the optional peers `@opentelemetry/sdk-trace-base`,
 * `exporter-trace-otlp-http`, `sdk-metrics`, `exporter-metrics-otlp-http` and `resources`,
 * loaded here only (a `ToolflightError` `missing_peer` names those to install). Rejects with
 * `invalid_argument` for a bad endpoint, header or timeout; after that, nothing it does throws
 * into the host: a failed export goes to `onError`. The SDK's `OTEL_EXPORTER_OTLP_*` variables
 * fill in what is not given here (extra headers, compression).
 *
 * @example
 * const otlp = await otlpExport({ endpoint: 'http://localhost:4318', onError: console.warn });
 * const projection = otelProjection({ source: tracker, ...otlp });
 * // at exit
 * projection.close();
 * await otlp.shutdown();
 */
export async function otlpExport(options: OtlpExportOptions): Promise<OtlpExport> {
  const { urls, headers, serviceName, timeoutMs } = checked(options);
  const { trace, traceExporter, metrics, metricExporter, resources } = await loadPeers();
  const counters = otlpCounters();
  const failures = otlpFailures(options.onError ?? (() => undefined));
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': serviceName }));

  const spans = countedSpanExporter(
    new traceExporter.OTLPTraceExporter({ url: urls.traces, headers, timeoutMillis: timeoutMs }),
    urls.shown,
    counters,
    failures,
  );
  const tracerProvider = new trace.BasicTracerProvider({
    resource,
    idGenerator: logIds,
    forceFlushTimeoutMillis: 2 * timeoutMs + 1000,
    spanProcessors: [
      endedSpanCounter(counters),
      // Its timeout (and the flush's) is past the exporter's: each batch's result is the exporter's.
      new trace.BatchSpanProcessor(spans, {
        exportTimeoutMillis: 2 * timeoutMs,
        maxQueueSize: options.maxQueueSize ?? DEFAULT_QUEUE,
      }),
    ],
  });
  const interval = Math.max(METRIC_INTERVAL_MS, 2 * timeoutMs);
  const meterProvider = new metrics.MeterProvider({
    resource,
    readers: [
      new metrics.PeriodicExportingMetricReader({
        exporter: countedMetricExporter(
          new metricExporter.OTLPMetricExporter({
            url: urls.metrics,
            headers,
            timeoutMillis: timeoutMs,
          }),
          urls.shown,
          counters,
          failures,
        ),
        exportIntervalMillis: interval,
        exportTimeoutMillis: interval,
      }),
    ],
  });

  /** Wait for each step; what rejects is reported unless its export already was. */
  const settle = async (steps: Promise<unknown>[]) => {
    for (const result of await Promise.allSettled(steps)) {
      if (result.status === 'rejected') failures.reportOnce(result.reason);
    }
  };
  let shutdown: Promise<void> | undefined;
  return {
    tracerProvider,
    meterProvider,
    endpoint: urls.shown,
    counts: (): OtlpExportCounts => ({ ...counters }),
    flush: () => shutdown ?? settle([tracerProvider.forceFlush(), meterProvider.forceFlush()]),
    shutdown: () => (shutdown ??= settle([tracerProvider.shutdown(), meterProvider.shutdown()])),
  };
}
