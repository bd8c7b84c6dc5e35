// toolflight/otel: OpenTelemetry spans and metrics as one more projection of the log.
export {
  otelProjection,
  type OtelProjection,
  type OtelProjectionOptions,
  type OtelSource,
} from './otelProjection.js';
export { logIds, type SpanIdGenerator } from './logIds.js';
