// toolflight/otel: OpenTelemetry spans and metrics as one more projection of the log.
export type { OtelProjection, OtelProjectionOptions, OtelSource } from './OtelProjection.js';
export { logIds, type SpanIdGenerator } from './logIds.js';
export { otelProjection } from './otelProjectionPlaceholder.js';
export {
  otlpExport,
  type OtlpExport,
  type OtlpExportCounts,
  type OtlpExportOptions,
} from './otlpExport.js';
