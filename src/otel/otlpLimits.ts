// @internal Bounds of the OTLP export that the CLI checks too, without loading OpenTelemetry.

/** The longest export timeout: twice it, and a second more, must fit a Node timer. */
export const MAX_TIMEOUT_MS = 1_000_000_000;
