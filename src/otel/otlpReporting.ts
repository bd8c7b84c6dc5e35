// @internal The OTLP exporters as `otlpExport` hands them to the SDK: every export counted, and
// every failure turned into one `ToolflightError` for the host's `onError`, never a throw.
// Types only from the SDK: erased, so nothing here loads it.
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';

import { messageOf, ToolflightError } from '../errors.js';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core` (FAILED is 1). */
const SUCCESS = 0;

/**
 * @internal What has been exported so far (`OtlpExportCounts`, which is declared apart so that
 * the public declarations reach no SDK type).
 */
export type OtlpCounters = Record<
  'spansEnded' | 'spansExported' | 'spansFailed' | 'metricExports' | 'metricExportsFailed',
  number
>;

/** @internal Zeroed counters. */
export const otlpCounters = (): OtlpCounters => ({
  spansEnded: 0,
  spansExported: 0,
  spansFailed: 0,
  metricExports: 0,
  metricExportsFailed: 0,
});

/** Why an export failed, in words: the exporter's `OTLPExporterError` carries the HTTP status. */
function why(error: unknown): string {
  if (error === undefined) return 'the exporter gave no reason';
  const status = typeof error === 'object' && error !== null && 'code' in error && error.code;
  const message = messageOf(error);
  if (typeof status === 'number') return `the collector answered HTTP ${status} ${message}`.trim();
  // What the exporter says once retries for 429/502/503/504 ran out of time.
  if (message === 'Export failed with retryable status') {
    return 'the collector kept answering 429, 502, 503 or 504 until the timeout';
  }
  return message;
}

/**
 * @internal Reports each failure once: a failed export gets its `ToolflightError` here, which
 * also becomes the export's result error, so a flush that rejects with it is not reported again.
 */
export interface OtlpFailures {
  readonly report: (what: string, url: string, cause: unknown) => ToolflightError;
  /** Report `error` (or each of an array of them) unless it is one already reported. */
  readonly reportOnce: (error: unknown) => void;
}

/** @internal The `OtlpFailures` of one export, calling `onError` (which may throw: ignored). */
export function otlpFailures(onError: (error: unknown) => void): OtlpFailures {
  const reported = new WeakSet<object>();
  const tell = (error: unknown) => {
    try {
      onError(error);
    } catch {
      // The host's handler failed: nothing is left to tell, and export must go on.
    }
  };
  return {
    report(what, url, cause) {
      const error = new ToolflightError(
        'io_error',
        `OTLP export of ${what} to ${url} failed: ${why(cause)}`,
        { cause },
      );
      reported.add(error);
      tell(error);
      return error;
    },
    reportOnce(error) {
      // The tracer provider's flush rejects with the array of its processors' errors.
      for (const each of Array.isArray(error) ? (error as unknown[]) : [error]) {
        if (typeof each === 'object' && each !== null && reported.has(each)) continue;
        tell(each);
      }
    },
  };
}

/** Export through `inner`, then count and report what came back; never throws. */
function counted<T>(
  inner: (items: T, done: (result: ExportResult) => void) => void,
  items: T,
  done: (result: ExportResult) => void,
  settle: (ok: boolean, cause: unknown) => ToolflightError | undefined,
): void {
  let answered = false;
  const answer = (result: ExportResult) => {
    if (answered) return;
    answered = true;
    const error = settle((result.code as number) === SUCCESS, result.error);
    done(error === undefined ? result : { code: result.code, error });
  };
  try {
    inner(items, answer);
  } catch (error) {
    answer({ code: 1, error: error instanceof Error ? error : new Error(String(error)) });
  }
}

/** @internal `exporter`, with each export's spans counted and each failure reported. */
export function countedSpanExporter(
  exporter: SpanExporter,
  url: string,
  counters: OtlpCounters,
  failures: OtlpFailures,
): SpanExporter {
  return {
    export: (spans, done) =>
      counted(exporter.export.bind(exporter), spans, done, (ok, cause) => {
        if (ok) {
          counters.spansExported += spans.length;
          return undefined;
        }
        counters.spansFailed += spans.length;
        return failures.report(`${spans.length} span${spans.length === 1 ? '' : 's'}`, url, cause);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** @internal `exporter`, with each metric export counted and each failure reported. */
export function countedMetricExporter(
  exporter: PushMetricExporter,
  url: string,
  counters: OtlpCounters,
  failures: OtlpFailures,
): PushMetricExporter {
  const select = {
    ...(exporter.selectAggregationTemporality
      ? { selectAggregationTemporality: exporter.selectAggregationTemporality.bind(exporter) }
      : {}),
    ...(exporter.selectAggregation
      ? { selectAggregation: exporter.selectAggregation.bind(exporter) }
      : {}),
  };
  return {
    ...select,
    export: (metrics, done) =>
      counted(exporter.export.bind(exporter), metrics, done, (ok, cause) => {
        if (ok) {
          counters.metricExports += 1;
          return undefined;
        }
        counters.metricExportsFailed += 1;
        return failures.report('metrics', url, cause);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

/** @internal A span processor that counts the sampled spans that end (the batch exports those). */
export function endedSpanCounter(counters: OtlpCounters): SpanProcessor {
  return {
    onStart: () => undefined,
    onEnd: (span) => {
      if ((span.spanContext().traceFlags & 1) === 1) counters.spansEnded += 1;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
