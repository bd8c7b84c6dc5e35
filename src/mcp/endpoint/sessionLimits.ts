// @internal The session options an endpoint (the loopback server, the proxy) takes, checked
// with the endpoint's own error, and their defaults.
import { shownValue, timerMs } from '../../http/connectionLimits.js';

/** Caps on agent sessions, beside the connection and body limits. */
export interface SessionLimits {
  /**
   * Agent sessions open at once; an `initialize` past it gets 503 with `Retry-After`.
   * Default 1,024.
   */
  readonly maxSessions?: number;
  /**
   * Agent sessions of one capture (one credential) open at once, so that one agent that opens
   * sessions without end cannot take every other agent's: 503 past it. Default 64 (or
   * `maxSessions` when that is lower).
   */
  readonly maxSessionsPerCapture?: number;
}

/** Sessions one endpoint keeps at most, unless `limits.maxSessions` says otherwise. */
export const MAX_SESSIONS = 1024;
/** Sessions of one capture at most, unless `limits.maxSessionsPerCapture` says otherwise. */
export const MAX_SESSIONS_PER_CAPTURE = 64;
/** A session with no request and no open stream for this long ends. */
export const SESSION_IDLE_MS = 10 * 60_000;

/** The session options, checked. */
export interface ResolvedSessionOptions {
  readonly maxSessions: number;
  readonly maxSessionsPerCapture: number;
  readonly idleMs: number;
}

const positiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * Check the session caps and the idle timeout; `error` makes the endpoint's own error. The
 * per-capture cap defaults to the lower of 64 and the total.
 */
export function resolveSessionOptions(
  limits: SessionLimits | undefined,
  idleMs: unknown,
  error: (message: string) => Error,
): ResolvedSessionOptions {
  const cap = (name: keyof SessionLimits, fallback: number): number => {
    const value = limits?.[name];
    if (value === undefined) return fallback;
    if (!positiveInteger(value)) {
      throw error(`limits.${name} must be a positive integer, got ${shownValue(value)}`);
    }
    return value;
  };
  const maxSessions = cap('maxSessions', MAX_SESSIONS);
  const maxSessionsPerCapture = cap(
    'maxSessionsPerCapture',
    Math.min(MAX_SESSIONS_PER_CAPTURE, maxSessions),
  );
  if (maxSessionsPerCapture > maxSessions) {
    throw error(
      `limits.maxSessionsPerCapture (${maxSessionsPerCapture}) is above limits.maxSessions (${maxSessions}): lower it, or raise maxSessions`,
    );
  }
  const idle = timerMs(idleMs, 'sessionIdleMs', error) ?? SESSION_IDLE_MS;
  return { maxSessions, maxSessionsPerCapture, idleMs: idle };
}
