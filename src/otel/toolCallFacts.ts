// @internal What a tool call's facts add to the span it belongs to as it ends: its outcome, its
// error, and (opt-in) its arguments and result as masked JSON.
import type { Span } from '@opentelemetry/api';

import { maskSecrets, maskText } from '../events/maskSecrets.js';
import type { ToolCallEntry } from './entries.js';

/** Masked JSON text of a value, or undefined when it has none (undefined, a BigInt, …). */
function jsonOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(maskSecrets(value));
  } catch {
    return undefined;
  }
}

/**
 * The facts of a call: outcome, blocked reason, prepared, opt-in content (its id and outbox key
 * are on the span already). One `setAttribute` each: no object to build and sanitize.
 */
export function recordToolCall(span: Span, call: ToolCallEntry, captureContent: boolean): void {
  const report = call.report;
  if (report?.outcome !== undefined) span.setAttribute('toolflight.outcome', report.outcome);
  if (report?.outcome === 'blocked' && report.reason !== undefined) {
    span.setAttribute('toolflight.blocked_reason', maskText(report.reason));
  }
  if (call.prepared !== undefined) span.setAttribute('toolflight.prepared', call.prepared);
  if (!captureContent) return;
  const args = jsonOf(call.preparedArgs ?? call.args);
  if (args !== undefined) span.setAttribute('gen_ai.tool.call.arguments', args);
  const result = report?.outcome === 'completed' ? jsonOf(report.result) : undefined;
  if (result !== undefined) span.setAttribute('gen_ai.tool.call.result', result);
}
