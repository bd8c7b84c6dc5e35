// @internal How long the proxy waits for its upstream: the options, checked once, with their
// defaults. Every request sent to another party has a deadline: none of these can be turned off.
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';

import { timerMs } from '../../../http/connectionLimits.js';

/** The upstream deadlines of one proxy, every value decided. */
export interface UpstreamDeadlines {
  readonly requestTimeoutMs: number;
  readonly maxRequestTotalMs: number;
  readonly connectTimeoutMs: number;
}

/** The defaults, each with why. */
export const DEADLINE_DEFAULTS: UpstreamDeadlines = {
  // The SDK client's own default: a proxy in front changes nothing an SDK agent expects.
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MSEC,
  // The SDK sets no total bound; a proxy must, or an upstream that reports progress forever holds
  // a call (and the capture) forever. Ten minutes is long for a tool call that still makes news.
  maxRequestTotalMs: 10 * 60_000,
  // Below the SDK client's 60 s on its `initialize`: an agent waiting for the proxy to reach a
  // hung upstream gets the proxy's own answer before its own timeout gives up.
  connectTimeoutMs: 30_000,
};

/** Check the deadline options; throws `error(message)` naming the option and what to pass. */
export function resolveDeadlines(
  options: Partial<Record<keyof UpstreamDeadlines, unknown>>,
  error: (message: string) => Error,
): UpstreamDeadlines {
  const ms = (name: keyof UpstreamDeadlines): number =>
    timerMs(options[name], name, (message) =>
      error(`${message}: leave it out for the default, ${DEADLINE_DEFAULTS[name]}`),
    ) ?? DEADLINE_DEFAULTS[name];
  return {
    requestTimeoutMs: ms('requestTimeoutMs'),
    maxRequestTotalMs: ms('maxRequestTotalMs'),
    connectTimeoutMs: ms('connectTimeoutMs'),
  };
}
