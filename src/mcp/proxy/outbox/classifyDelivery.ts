// @internal What one delivery attempt's outcome means for its entry. Pure.
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

import type { Forwarded } from '../upstream/upstreamSession.js';

/**
 * `delivered`: remove it. `retry`: try again later; `link` when the upstream itself is away
 * (every entry waits), `tool` when only this target answered a transient error. `auth`: the
 * upstream refused the credential. `dead`: refused for good, with the reason kept.
 */
export type DeliveryVerdict =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly scope: 'link' | 'tool'; readonly reason: string }
  | { readonly kind: 'auth'; readonly reason: string }
  | { readonly kind: 'dead'; readonly reason: string };

/** Statuses below 500 that say "later", not "never". */
const TRANSIENT = new Set([408, 425, 429]);

const firstText = (content: readonly { type: string; text?: unknown }[]): string => {
  const text = content.find((item) => item.type === 'text')?.text;
  return typeof text === 'string' ? text.slice(0, 500) : '';
};

/** Classify what the upstream made of one delivery. */
export function classifyDelivery(outcome: Forwarded): DeliveryVerdict {
  switch (outcome.kind) {
    case 'answer': {
      const message = outcome.message;
      if ('error' in message) {
        return {
          kind: 'dead',
          reason: `JSON-RPC error ${message.error.code}: ${message.error.message}`,
        };
      }
      const parsed = CallToolResultSchema.safeParse(
        'result' in message ? message.result : undefined,
      );
      if (!parsed.success)
        return { kind: 'dead', reason: 'the upstream answered an invalid CallToolResult' };
      if (parsed.data.isError === true) {
        return { kind: 'dead', reason: `tool error: ${firstText(parsed.data.content)}`.trim() };
      }
      return { kind: 'delivered' };
    }
    case 'refused': {
      const { status, text } = outcome.refusal;
      const reason = `HTTP ${status} ${text.slice(0, 500)}`.trim();
      if (status === 401 || status === 403) return { kind: 'auth', reason };
      if (status >= 500 || TRANSIENT.has(status)) return { kind: 'retry', scope: 'tool', reason };
      return { kind: 'dead', reason };
    }
    case 'session_gone':
      return { kind: 'retry', scope: 'link', reason: 'the upstream lost the session' };
    case 'unsendable':
      // It will not serialize next time either.
      return { kind: 'dead', reason: outcome.reason };
    case 'cancelled':
    case 'unreachable':
      return { kind: 'retry', scope: 'link', reason: outcome.reason };
    case 'timed_out':
      // The upstream took it and may have acted: never `delivered`, never dead for a hang. The
      // entry's idempotency key makes the next attempt safe; the upstream is up, so only this
      // target backs off.
      return {
        kind: 'retry',
        scope: 'tool',
        reason: `${outcome.reason}; its outcome is unknown, so it is sent again under the same idempotency key`,
      };
  }
}
