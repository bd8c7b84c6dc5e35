import type { ProxyBackoff } from './Upstream.js';
// @internal Reconnection delays: exponential, capped, with "equal jitter" (half of each delay
// fixed, half drawn). Pure.

/** Default first delay and cap of reconnection attempts, in ms. */
export const BACKOFF_DEFAULTS = { baseMs: 250, maxMs: 30_000 } as const;

/**
 * The delay before attempt `attempt` (1 for the first retry): a uniform draw in
 * `[ceiling / 2, ceiling]` where `ceiling = min(maxMs, baseMs * 2^(attempt - 1))`. Half the
 * ceiling is kept fixed, so that no draw of the random source produces a tight loop.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  options: ProxyBackoff = {},
): number {
  const baseMs = options.baseMs ?? BACKOFF_DEFAULTS.baseMs;
  const maxMs = options.maxMs ?? BACKOFF_DEFAULTS.maxMs;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * draw);
}
