// The ids the log recorded, given to the OpenTelemetry SDK as its id generator: how a span
// projected from the log gets exactly the trace and span ids that went upstream live.
import { randomBytes } from 'node:crypto';

/** The OpenTelemetry SDK's `IdGenerator` shape (`BasicTracerProvider({ idGenerator })`). */
export interface SpanIdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

let nextTraceId: string | undefined;
let nextSpanId: string | undefined;

/**
 * Pass as `idGenerator` to the tracer provider that `otelProjection` uses: each span the
 * projection starts then carries the trace and span ids its log recorded (the ones that went
 * upstream in `traceparent`), so the trace continues across a proxy hop and a replay gives the
 * same ids. Spans anything else starts on the same provider get random ids, as with the SDK's
 * own generator.
 */
export const logIds: SpanIdGenerator = {
  generateTraceId(): string {
    const id = nextTraceId ?? randomBytes(16).toString('hex');
    nextTraceId = undefined;
    return id;
  },
  generateSpanId(): string {
    const id = nextSpanId ?? randomBytes(8).toString('hex');
    nextSpanId = undefined;
    return id;
  },
};

/**
 * @internal Give the next span started (synchronously, right after) these ids; `undefined`
 * leaves that id to the generator's random default.
 */
export function primeIds(traceId: string | undefined, spanId: string | undefined): void {
  nextTraceId = traceId;
  nextSpanId = spanId;
}
