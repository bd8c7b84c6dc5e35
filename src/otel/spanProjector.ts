// @internal One event at a time into spans and metrics: a switch on the type, a map lookup for
// the entity. Every field is checked as it is read (see facts.ts); what does not fit is skipped.
import type { Meter, SpanContext, Tracer } from '@opentelemetry/api';

import { evolveOutbox, initialOutboxState } from '../projections/outbox.js';
import type { ToolflightEvent } from '../events/types.js';
import { ClientSpans } from './clientSpans.js';
import { fieldsOf, numberOf, textOf, type Fields } from './facts.js';
import { createProjectionMetrics, type ProjectionMetrics } from './projectionMetrics.js';
import { ServerSpans } from './serverSpans.js';
import { Sessions } from './sessions.js';
import { SpanStarter } from './spanStarter.js';

/** Outbox keys whose queued call's span is remembered for the delivery's link, at most. */
const MAX_QUEUED_LINKS = 10_000;

/** What the projector is made with. */
export interface SpanProjectorOptions {
  readonly tracer: Tracer;
  /** Where the instruments are created; none: no metrics. */
  readonly meter: Meter | undefined;
  readonly captureContent: boolean;
  readonly timeOrigin: number;
  readonly report: (error: unknown) => void;
}

/** The projection's state: open spans, open sessions, the outbox. */
export class SpanProjector {
  private readonly spans: SpanStarter;
  private readonly server: ServerSpans;
  private readonly client: ClientSpans;
  private readonly sessions: Sessions;
  private readonly metrics: ProjectionMetrics | undefined;
  private readonly outbox = initialOutboxState();
  private readonly queuedLinks = new Map<string, SpanContext>();
  /** The last event's `at`: where spans still open at the end are ended. */
  private lastAt = 0;

  constructor(options: SpanProjectorOptions) {
    this.metrics = metricsOn(options.meter, this, options.report);
    this.spans = new SpanStarter(options.tracer, options.timeOrigin, options.report);
    this.sessions = new Sessions(this.metrics);
    this.server = new ServerSpans(this.spans, this.sessions, this.metrics, options.captureContent);
    this.client = new ClientSpans(this.spans, this.metrics, {
      requestSpan: (request) => this.server.requestSpan(request),
      queuedCall: (key) => (key === undefined ? undefined : this.queuedLinks.get(key)),
    });
  }

  /** Spans started and not ended. */
  openSpans(): number {
    return this.spans.open;
  }

  /** What the gauges read. */
  inFlight(): ReadonlyMap<string, number> {
    return this.server.inFlight();
  }

  outboxCounts(): { pending: number; dead: number } {
    return { pending: this.outbox.pending.size, dead: this.outbox.dead.size };
  }

  /** Fold one event (of any shape: a recording is hostile input). */
  apply(value: unknown): void {
    const event = fieldsOf(value);
    if (event === undefined) return;
    const at = numberOf(event.at) ?? this.lastAt;
    this.lastAt = at;
    const type = event.type;
    const data = fieldsOf(event.data);
    const capture = textOf(event.capture);
    switch (type) {
      case 'capture.begun':
      case 'capture.cleared': {
        const gen = numberOf(event.gen);
        if (capture === undefined || gen === undefined) return;
        if (type === 'capture.begun') this.server.begun(capture, gen);
        else this.server.cleared(capture, gen, at);
        return;
      }
      case 'request.started':
      case 'request.classified':
      case 'request.finished':
      case 'toolCall.started':
      case 'toolCall.prepared':
      case 'toolCall.result':
      case 'toolCall.finished':
        this.lifecycle(type, event, capture, at, data);
        return;
      case 'session.opened':
        this.sessions.opened(data, at);
        return;
      case 'session.closed':
        this.sessions.closed(data, at);
        return;
      case 'upstream.requested':
        if (data !== undefined) this.client.requested(capture, event.seq, at, data);
        return;
      case 'upstream.answered':
        if (data !== undefined) this.client.answered(at, data);
        return;
      case 'outbox.enqueued':
      case 'outbox.delivered':
      case 'outbox.rejected':
        this.outboxEvent(type, value as ToolflightEvent, data);
        return;
      case 'idle.waited':
        this.idleWaited(data);
        return;
      default:
        return;
    }
  }

  /** End every open span at the last event's `at`, marked `toolflight.unfinished`. */
  endAll(): void {
    this.server.endAll(this.lastAt);
    this.client.endAll(this.lastAt);
  }

  private lifecycle(
    type: string,
    event: Fields,
    capture: string | undefined,
    at: number,
    data: Fields | undefined,
  ): void {
    const gen = numberOf(event.gen);
    const id = textOf(event.id);
    if (capture === undefined || gen === undefined || id === undefined) return;
    // The envelope goes as arguments, not an object per event (seven per tools/call).
    switch (type) {
      case 'request.started':
        return this.server.requestStarted(capture, gen, id, at);
      case 'request.classified':
        return this.server.requestClassified(gen, id, data);
      case 'request.finished':
        return this.server.requestFinished(gen, id, at, data);
      case 'toolCall.started':
        return this.server.toolCallStarted(capture, gen, id, at, data);
      case 'toolCall.prepared':
        return this.server.toolCallPrepared(gen, id, data);
      case 'toolCall.result':
        return this.server.toolCallResult(gen, id, data);
      case 'toolCall.finished':
        return this.server.toolCallFinished(gen, id, at, data);
    }
  }

  private outboxEvent(type: string, event: ToolflightEvent, data: Fields | undefined): void {
    const key = textOf(data?.key);
    if (data === undefined || key === undefined || typeof data.tool !== 'string') return;
    evolveOutbox(this.outbox, event);
    if (type !== 'outbox.enqueued') {
      this.queuedLinks.delete(key);
      return;
    }
    const toolCall = textOf(data.toolCall);
    const context = toolCall === undefined ? undefined : this.server.queued(toolCall, key);
    if (context === undefined) return;
    this.queuedLinks.delete(key);
    if (this.queuedLinks.size >= MAX_QUEUED_LINKS) {
      const oldest = this.queuedLinks.keys().next();
      if (oldest.done !== true) this.queuedLinks.delete(oldest.value);
    }
    this.queuedLinks.set(key, context);
  }

  private idleWaited(data: Fields | undefined): void {
    const waited = numberOf(data?.waitedMs);
    const result = textOf(data?.result);
    if (waited === undefined || (result !== 'idle' && result !== 'timed_out')) return;
    this.metrics?.idleWait(Math.max(0, waited) / 1000, { 'toolflight.idle.result': result });
  }
}

/** The instruments on `meter`, reading the gauges from `projector`; none when creating fails. */
function metricsOn(
  meter: Meter | undefined,
  projector: SpanProjector,
  report: (error: unknown) => void,
): ProjectionMetrics | undefined {
  if (meter === undefined) return undefined;
  try {
    const source = {
      inFlight: () => projector.inFlight(),
      outbox: () => projector.outboxCounts(),
    };
    return createProjectionMetrics(meter, source, report);
  } catch (error) {
    report(error);
    return undefined;
  }
}
