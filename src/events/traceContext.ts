// W3C Trace Context (`traceparent`), read and written without OpenTelemetry: the MCP endpoints
// carry it in `params._meta`, the log keeps its ids, and `toolflight/otel` makes spans of them.

/** The ids and flags a `traceparent` carries. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the sender's span. */
  readonly spanId: string;
  /** The trace flags (bit 0: sampled). */
  readonly flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * `length` lowercase hex digits, not all zero. A loop over the char codes, not a regex: it runs
 * on every classified request's ids, and a regex test of 32 characters cost a third more.
 */
function isHexId(value: unknown, length: number): value is string {
  if (typeof value !== 'string' || value.length !== length) return false;
  let zero = true;
  for (let index = 0; index < length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0x30) continue; // '0'
    // '1'-'9' or 'a'-'f'
    if (!((code > 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return false;
    zero = false;
  }
  return !zero;
}

/** True for 32 (trace) or 16 (span) lowercase hex digits, not all zero. */
export const isTraceId = (value: unknown): value is string => isHexId(value, 32);
export const isSpanId = (value: unknown): value is string => isHexId(value, 16);

/**
 * The ids of a `traceparent` value, or undefined for anything the W3C rules refuse (a version
 * of `ff`, all-zero ids, upper case, extra fields on version 00). Never throws.
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The `traceparent` value (version 00) for a span. */
export function formatTraceparent(traceId: string, spanId: string, flags = 1): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}
