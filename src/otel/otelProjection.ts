// `otelProjection`: spans and metrics as one more projection of the log, from a live tracker or
// from a recording. Whatever fails in here (a provider that throws, an event that does not fit)
// goes to `onError`; nothing of it reaches the tracker or the host's path.
import {
  metrics,
  ProxyTracerProvider,
  trace,
  type Meter,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

import { ToolflightError } from '../errors.js';
import type { ToolflightEvent } from '../events/types.js';
import type { CapturesView } from '../projections/capturesView.js';
import { SpanProjector } from './spanProjector.js';

/** Where the projection reads events: a live tracker (from now on) or a recording. */
export type OtelSource = CapturesView | Iterable<ToolflightEvent> | AsyncIterable<ToolflightEvent>;

/** What `otelProjection` takes. */
export interface OtelProjectionOptions {
  /** A tracker (its events as they happen) or a recording's events (all of them, in order). */
  readonly source: OtelSource;
  /**
   * Where spans go. Default: the global provider (`trace.getTracerProvider()`). Construct it
   * with `idGenerator: logIds` so that spans carry the ids the log recorded.
   */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global provider (`metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProvider;
  /**
   * Opt in to `gen_ai.tool.call.arguments` and `gen_ai.tool.call.result` (JSON, masked like the
   * inspector masks them). Default false: they may hold what an agent should not leak.
   */
  readonly captureContent?: boolean;
  /**
   * Milliseconds added to each event's `at` for span times: the epoch time of `at` 0 when the
   * tracker's clock does not count from the epoch. Default 0 (the default clock does).
   */
  readonly timeOrigin?: number;
  /**
   * Called when projecting or exporting fails (a provider that throws, a span with the
   * provider's own ids); it never reaches the tracker or the host's path. Default: ignored.
   */
  readonly onError?: (error: unknown) => void;
}

/** A running projection. */
export interface OtelProjection {
  /**
   * For a recording: settles once every event is projected (and spans still open at its end
   * are ended at its last `at`, marked `toolflight.unfinished`). For a tracker: settles when
   * `close` is called.
   */
  readonly done: Promise<void>;
  /** Spans started and not ended yet. */
  readonly openSpans: () => number;
  /**
   * Stop following the tracker; spans still open are ended now (at the last event's `at`),
   * marked `toolflight.unfinished`. Idempotent.
   */
  readonly close: () => void;
}

/** The instrumentation scope of the projection's spans and metrics. */
const SCOPE = 'toolflight';

const isView = (source: OtelSource): source is CapturesView =>
  typeof (source as Partial<CapturesView>).subscribe === 'function' &&
  'events$' in (source as object);

const isAsync = (source: OtelSource): source is AsyncIterable<ToolflightEvent> =>
  typeof (source as Partial<AsyncIterable<ToolflightEvent>>)[Symbol.asyncIterator] === 'function';

const isIterable = (source: OtelSource): source is Iterable<ToolflightEvent> =>
  typeof (source as Partial<Iterable<ToolflightEvent>>)[Symbol.iterator] === 'function';

/** The source, refused (by a throw to the caller, never later) when it is none of the three. */
function checkSource(source: unknown): OtelSource {
  const candidate = source as OtelSource;
  if (
    typeof source === 'object' &&
    source !== null &&
    (isView(candidate) || isAsync(candidate) || isIterable(candidate))
  ) {
    return candidate;
  }
  throw new ToolflightError(
    'invalid_argument',
    'source must be a tracker (or another CapturesView), or a recording: an iterable or async iterable of events (readRecording gives one)',
  );
}

/**
 * Project a tracker's events (from now on) or a recording's (all of them) into OpenTelemetry
 * spans and metrics that follow the MCP semantic conventions: a SERVER span per agent request
 * (the first tool call of a `tools/call` merged into it), an INTERNAL span per other tool call,
 * a CLIENT span per request sent upstream, the conventions' duration histograms and toolflight's
 * gauges. Span times, ids (with `logIds` as the provider's id generator), names and attributes
 * come from the log alone, so a recording replays to the spans its live run gave.
 *
 * @example
 * const provider = new BasicTracerProvider({ idGenerator: logIds, spanProcessors: [processor] });
 * const projection = otelProjection({ source: tracker, tracerProvider: provider });
 * // … the host runs …
 * projection.close(); // spans still open end now, marked toolflight.unfinished
 *
 * @example
 * const { done } = otelProjection({ source: readRecording('run.jsonl'), tracerProvider: provider });
 * await done;
 */
export function otelProjection(options: OtelProjectionOptions): OtelProjection {
  const source = checkSource(options.source);
  const timeOrigin = options.timeOrigin ?? 0;
  if (!Number.isFinite(timeOrigin)) {
    throw new ToolflightError(
      'invalid_argument',
      `timeOrigin must be a finite number of epoch milliseconds (the time of at 0), got ${String(timeOrigin)}`,
    );
  }
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // The host's error channel must not reach the tracker either.
    }
  };
  const running = new SpanProjector({
    tracer: tracerOf(options, report),
    meter: meterOf(options, report),
    captureContent: options.captureContent ?? false,
    timeOrigin,
    report,
  });

  let closed = false;
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (settle = resolve));
  let unsubscribe: (() => void) | undefined;

  const apply = (event: unknown): void => {
    if (closed) return;
    try {
      running.apply(event);
    } catch (error) {
      report(error);
    }
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      unsubscribe?.();
    } catch (error) {
      report(error);
    }
    try {
      running.endAll();
    } catch (error) {
      report(error);
    }
    settle();
  };

  if (isView(source)) {
    try {
      unsubscribe = source.subscribe(apply);
    } catch (error) {
      report(error);
    }
  } else if (isAsync(source)) {
    void (async () => {
      try {
        for await (const event of source) {
          if (closed) break;
          apply(event);
        }
      } catch (error) {
        report(error);
      }
      close();
    })();
  } else {
    try {
      for (const event of source) apply(event);
    } catch (error) {
      report(error);
    }
    close();
  }

  return {
    done,
    openSpans: () => running.openSpans(),
    close,
  };
}

function tracerOf(options: OtelProjectionOptions, report: (error: unknown) => void): Tracer {
  try {
    return (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  } catch (error) {
    report(error);
    // A provider with no delegate: spans that record nothing, so the projection still runs.
    return new ProxyTracerProvider().getTracer(SCOPE);
  }
}

function meterOf(
  options: OtelProjectionOptions,
  report: (error: unknown) => void,
): Meter | undefined {
  try {
    return (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  } catch (error) {
    report(error);
    return undefined;
  }
}
