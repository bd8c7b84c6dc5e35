// The shape of `toolflight/otel`'s projection: what a host passes and what it gets back.
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

import type { ToolflightEvent } from '../events/types.js';
import type { CapturesView } from '../projections/capturesView.js';

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
