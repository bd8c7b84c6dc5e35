// @internal Starting and ending the projection's spans: on the log's ids (primed into `logIds`),
// at the log's times, never under the caller's active context, and never letting a provider's
// throw out (it goes to `onError`, and the entity goes on without its span).
import {
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';

import { ToolflightError } from '../errors.js';
import { primeIds } from './logIds.js';

/** What a span starts with. */
export interface SpanStart {
  readonly name: string;
  readonly kind: SpanKind;
  /** The event's `at`. */
  readonly at: number;
  /** An open span of this projection, or a context the log recorded; none: a root span. */
  readonly parent: Span | SpanContext | undefined;
  /** The trace id of a root span; a child is in its parent's trace and takes none. */
  readonly traceId: string | undefined;
  readonly spanId: string;
  readonly attributes: Attributes;
  readonly links?: Link[];
}

const isSpan = (parent: Span | SpanContext): parent is Span =>
  typeof (parent as Partial<Span>).spanContext === 'function';

/** Starts and ends spans on one tracer; counts the ones open. */
export class SpanStarter {
  /** Spans started and not ended. */
  open = 0;
  private warnedIds = false;

  constructor(
    private readonly tracer: Tracer,
    /** Epoch milliseconds of `at` 0. */
    private readonly timeOrigin: number,
    private readonly report: (error: unknown) => void,
  ) {}

  /**
   * The span's time. An `HrTime`, not milliseconds: the SDK reads a small number of milliseconds
   * as `performance.now()` and adds this process's start time, which a replay does not share.
   */
  time(at: number): HrTime {
    const ms = Math.max(0, at + this.timeOrigin);
    let seconds = Math.floor(ms / 1000);
    let nanos = Math.round((ms - seconds * 1000) * 1e6);
    if (nanos >= 1e9) {
      seconds += 1;
      nanos -= 1e9;
    }
    return [seconds, nanos];
  }

  start(spec: SpanStart): Span | undefined {
    const parent =
      spec.parent === undefined
        ? ROOT_CONTEXT
        : isSpan(spec.parent)
          ? trace.setSpan(ROOT_CONTEXT, spec.parent)
          : trace.setSpanContext(ROOT_CONTEXT, spec.parent);
    let span: Span;
    try {
      // A child takes its parent's trace id and never asks for one: priming it would leave it
      // for whatever span the provider starts next.
      primeIds(spec.parent === undefined ? spec.traceId : undefined, spec.spanId);
      const startTime = this.time(spec.at);
      const { kind, attributes, links } = spec;
      // No spread of a maybe-object: one options object per span, `links` only when given.
      span = this.tracer.startSpan(
        spec.name,
        links === undefined
          ? { kind, startTime, attributes }
          : { kind, startTime, attributes, links },
        parent,
      );
    } catch (error) {
      this.report(error);
      return undefined;
    } finally {
      primeIds(undefined, undefined);
    }
    this.open += 1;
    if (!this.warnedIds && span.isRecording() && span.spanContext().spanId !== spec.spanId) {
      this.warnedIds = true;
      this.report(
        new ToolflightError(
          'invalid_argument',
          'the tracer provider gave a span its own ids, not the ones the log recorded: construct it with `idGenerator: logIds` (from toolflight/otel) so that spans continue the trace across the proxy hop and a replay gives the same ids',
        ),
      );
    }
    return span;
  }

  /** End at `at` (never before the span's start); a provider's throw goes to `onError`. */
  end(span: Span, startedAt: number, at: number): void {
    this.open -= 1;
    try {
      span.end(this.time(Math.max(startedAt, at)));
    } catch (error) {
      this.report(error);
    }
  }
}
