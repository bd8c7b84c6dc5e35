// @internal How a span says it failed (`error.type`, `rpc.response.status_code`, status ERROR):
// the MCP conventions' rule first (the JSON-RPC code, else `tool_error` for an `isError` result),
// then what toolflight knows besides (an HTTP status, a tool call's outcome, an upstream's).
import { SpanStatusCode, type Span } from '@opentelemetry/api';

import { maskText } from '../events/maskSecrets.js';
import { fieldsOf, numberOf, textOf } from './facts.js';

/** A failure as a span records it. */
export interface SpanError {
  /** `error.type`. */
  readonly type: string;
  /** `rpc.response.status_code`: the JSON-RPC error code. */
  readonly code?: string;
  /** The status description. */
  readonly message?: string;
}

/** Status descriptions are shown to people: bounded, and never a secret. */
const MAX_MESSAGE = 256;

function messageOf(text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  return maskText(text.length > MAX_MESSAGE ? text.slice(0, MAX_MESSAGE) : text);
}

/** A JSON-RPC error (`{ code, message }`); undefined when it has no numeric code. */
export function rpcError(error: unknown): SpanError | undefined {
  const fields = fieldsOf(error);
  const code = numberOf(fields?.code);
  if (code === undefined) return undefined;
  const message = messageOf(fields?.message);
  return { type: String(code), code: String(code), ...(message && { message }) };
}

/** The first text content of a `CallToolResult`, the tool's own words about its failure. */
function firstText(result: unknown): unknown {
  const content = fieldsOf(result)?.content;
  if (!Array.isArray(content)) return undefined;
  for (const item of content as unknown[]) {
    const fields = fieldsOf(item);
    if (fields?.type === 'text') return fields.text;
  }
  return undefined;
}

/** What a tool call's result says of it: the facts `toolCall.result` carried. */
export interface ToolCallReport {
  readonly outcome: string | undefined;
  readonly isError: boolean;
  readonly result: unknown;
  readonly reason: string | undefined;
}

/** A result with `isError` true: `tool_error`, with the tool's first text as the message. */
export function toolError(report: ToolCallReport | undefined): SpanError | undefined {
  if (report?.isError !== true) return undefined;
  const message = messageOf(firstText(report.result));
  return { type: 'tool_error', ...(message && { message }) };
}

/** `error.type` of the tool call outcomes that did not do what was asked. */
const OUTCOME_ERRORS: Readonly<Record<string, string>> = {
  timed_out: 'timeout',
  cancelled: 'cancelled',
  blocked: 'blocked',
  failed: 'failed',
};

/** A tool call that ended without completing (and without `isError`): its outcome, its reason. */
export function outcomeError(report: ToolCallReport | undefined): SpanError | undefined {
  const type = report?.outcome === undefined ? undefined : OUTCOME_ERRORS[report.outcome];
  if (type === undefined) return undefined;
  const message = messageOf(report?.reason);
  return { type, ...(message && { message }) };
}

/** `error.type` of the upstream outcomes other than `error` (which has its code) and `result`. */
const UPSTREAM_ERRORS: Readonly<Record<string, string>> = {
  tool_error: 'tool_error',
  timed_out: 'timeout',
  cancelled: 'cancelled',
  refused: 'refused',
  unreachable: 'unreachable',
};

/** How a request sent upstream failed, from `upstream.answered`; undefined for `result`. */
export function upstreamError(fields: Readonly<Record<string, unknown>>): SpanError | undefined {
  const outcome = textOf(fields.outcome);
  if (outcome === 'error') {
    const error = rpcError(fields.error);
    if (error !== undefined) return error;
    const message = messageOf(fields.reason);
    return { type: '_OTHER', ...(message && { message }) };
  }
  const type = outcome === undefined ? undefined : UPSTREAM_ERRORS[outcome];
  if (type === undefined) return undefined;
  const message = messageOf(fields.reason);
  return { type, ...(message && { message }) };
}

/** Record the failure on the span: `error.type`, the JSON-RPC code, status ERROR. */
export function recordError(span: Span, error: SpanError): void {
  span.setAttribute('error.type', error.type);
  if (error.code !== undefined) span.setAttribute('rpc.response.status_code', error.code);
  span.setStatus(
    error.message === undefined
      ? { code: SpanStatusCode.ERROR }
      : { code: SpanStatusCode.ERROR, message: error.message },
  );
}
