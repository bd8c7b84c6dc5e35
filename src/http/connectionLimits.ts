// @internal How many connections and SSE streams a toolflight HTTP server holds, and how long it
// waits for a peer: one set of options, checked once, shared by the loopback MCP server, the
// proxy and the inspector.

/**
 * Caps and timeouts on the connections and SSE streams of one toolflight HTTP server.
 *
 * Every peer of a loopback server has the same address (127.0.0.1 or ::1) and its port names a
 * socket, not a process, so there is no per-peer connection cap: before a request has shown a
 * credential, connections are counted one by one in all; SSE streams, which need one, are also
 * counted per credential.
 */
export interface ConnectionLimits {
  /**
   * Open connections in all. A connection arriving at the cap closes the oldest connection that
   * is not serving a request (silent, or idle between requests) to make room; when every one is
   * serving a request, the new one is closed before it is read. Default 256.
   */
  readonly maxConnections?: number;
  /** Open SSE streams in all; 503 past it. Default 64, and always below `maxConnections`. */
  readonly maxStreams?: number;
  /** Open SSE streams per credential; 503 past it. Default 16 (or `maxStreams` when lower). */
  readonly maxStreamsPerCredential?: number;
  /**
   * A request's headers must arrive within this many ms of its first byte (of the connection,
   * for a first request that sends nothing): 408 and the connection closed otherwise. Default
   * 10,000 (Node's own is 60,000, checked every 30 s).
   */
  readonly headersTimeoutMs?: number;
  /**
   * A connection with no request in progress (before its first request, or kept alive between
   * two) is closed after this many ms of silence. Default 5,000 (Node's keep-alive timeout).
   */
  readonly idleTimeoutMs?: number;
}

/** {@link ConnectionLimits} with every value decided. */
export type ResolvedConnectionLimits = Required<ConnectionLimits>;

/** The defaults of {@link ConnectionLimits}; a server may pass its own (the inspector does). */
export const CONNECTION_DEFAULTS: ResolvedConnectionLimits = {
  // A host runs a handful of agents, each an HTTP client with a few sockets; 256 leaves most of
  // a 1,024-descriptor process for its files, its upstream connections and its own clients.
  maxConnections: 256,
  maxStreams: 64,
  // An agent opens one GET stream per session, and a second while it reconnects.
  maxStreamsPerCredential: 16,
  // Agents on this machine send their headers in one write; ten seconds is generous.
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
};

/** The longest delay Node's timers take (a 32-bit signed count of ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const given = (value: unknown): boolean => value !== undefined;

/** A refused option value as an error message shows it. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/**
 * A timer option (`label` names it in the message): a whole number of ms that a timer can wait
 * (Node runs a longer delay at once), or undefined when not given.
 */
export function timerMs(
  value: unknown,
  label: string,
  error: (message: string) => Error,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw error(
      `${label} must be a whole number of ms from 1 to ${MAX_TIMER_MS}, got ${shownValue(value)}`,
    );
  }
  return value;
}

/**
 * Check `limits` and fill in what is left out from `defaults`; throws `error(message)` (the
 * server's own typed error) for a value that is not a positive integer, or for caps that cannot
 * hold together (streams that could take every connection).
 */
export function resolveConnectionLimits(
  limits: ConnectionLimits | undefined,
  error: (message: string) => Error,
  defaults: ResolvedConnectionLimits = CONNECTION_DEFAULTS,
): ResolvedConnectionLimits {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) {
    throw error(`limits must be an object, got ${shownValue(limits)}`);
  }
  const count = (name: keyof ConnectionLimits, min: number): number | undefined => {
    const value: unknown = limits?.[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw error(`limits.${name} must be an integer of at least ${min}, got ${shownValue(value)}`);
    }
    return value;
  };
  const ms = (name: keyof ConnectionLimits): number | undefined =>
    timerMs(limits?.[name], `limits.${name}`, error);
  const maxConnections = count('maxConnections', 2) ?? defaults.maxConnections;
  const maxStreams =
    count('maxStreams', 1) ?? Math.min(defaults.maxStreams, Math.floor(maxConnections / 2));
  if (maxStreams >= maxConnections) {
    throw error(
      `limits.maxStreams (${maxStreams}) must be below limits.maxConnections (${maxConnections}): streams stay open, and calls need connections of their own`,
    );
  }
  const perCredential =
    count('maxStreamsPerCredential', 1) ?? Math.min(defaults.maxStreamsPerCredential, maxStreams);
  if (given(limits?.maxStreamsPerCredential) && perCredential > maxStreams) {
    throw error(
      `limits.maxStreamsPerCredential (${perCredential}) is above limits.maxStreams (${maxStreams}): lower it, or raise maxStreams`,
    );
  }
  return {
    maxConnections,
    maxStreams,
    maxStreamsPerCredential: perCredential,
    headersTimeoutMs: ms('headersTimeoutMs') ?? defaults.headersTimeoutMs,
    idleTimeoutMs: ms('idleTimeoutMs') ?? defaults.idleTimeoutMs,
  };
}
