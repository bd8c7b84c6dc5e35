// @internal The options of `createInspector` that need checking: the launch token and the caps.
import { randomBytes } from 'node:crypto';

import {
  CONNECTION_DEFAULTS,
  resolveConnectionLimits,
  shownValue,
  type ConnectionLimits,
  type ResolvedConnectionLimits,
} from '../http/connectionLimits.js';
import { InspectorError } from './InspectorError.js';

/**
 * Caps and timeouts of the inspector's connections and event streams. Streams are not counted
 * per credential: the launch token is the only one. `maxStreams` also caps the window sockets
 * (one per page, for its scrubber's windows), and `maxBufferedBytes` what may wait for one.
 */
export interface InspectorLimits extends Omit<ConnectionLimits, 'maxStreamsPerCredential'> {
  /**
   * Bytes that may wait for one event-stream client on its socket. A live client past it is
   * dropped, and its page resumes with `Last-Event-ID`; history is written a message at a time
   * as the client takes it. At least 16 KiB; default 1 MiB.
   */
  readonly maxBufferedBytes?: number;
}

/**
 * The shortest launch token taken, in characters: the fewest base64url characters that hold 16
 * random bytes (128 bits, beyond guessing even at a million tries a second for centuries). The
 * token guards every route, recordings' tool arguments included; its randomness cannot be
 * measured, so its length is the floor.
 */
const MIN_TOKEN_CHARS = 22;
/** The launch token's one credential id, for the stream caps. */
export const LAUNCH_TOKEN = 'launch-token';

/** The inspector's defaults: a page or two per developer, each one stream (Chromium allows 6). */
const INSPECTOR_LIMITS = {
  ...CONNECTION_DEFAULTS,
  maxConnections: 64,
  maxStreams: 16,
  maxStreamsPerCredential: 16,
};
/** A thousand events of 1 KB may wait for a page before it is dropped and resumes. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Node's high-water mark of a socket: a client that reads may have this much waiting. */
const MIN_BUFFERED_BYTES = 16 * 1024;

/** The launch token option, or a fresh one; throws `weak_token` for one that is too short. */
export function launchToken(token: unknown): string {
  if (token === undefined) return randomBytes(24).toString('base64url');
  if (typeof token !== 'string' || token.length < MIN_TOKEN_CHARS) {
    const got = typeof token === 'string' ? `${token.length} characters` : typeof token;
    throw new InspectorError(
      'weak_token',
      `the launch token guards every route of the inspector and must be at least ${MIN_TOKEN_CHARS} characters (16 random bytes in base64url), got ${got}: leave token out to mint one, or pass randomBytes(24).toString('base64url')`,
    );
  }
  return token;
}

/** The `limits` option checked, with the inspector's defaults. */
export function inspectorLimits(
  limits: InspectorLimits | undefined,
): ResolvedConnectionLimits & { readonly maxBufferedBytes: number } {
  const invalid = (message: string) => new InspectorError('invalid_option', message);
  const connections = resolveConnectionLimits(
    // The launch token is the one credential: its streams are capped by maxStreams alone.
    typeof limits === 'object' && limits !== null
      ? { ...limits, maxStreamsPerCredential: undefined }
      : limits,
    invalid,
    INSPECTOR_LIMITS,
  );
  const buffered: unknown = limits?.maxBufferedBytes;
  if (
    buffered !== undefined &&
    (typeof buffered !== 'number' ||
      !Number.isSafeInteger(buffered) ||
      buffered < MIN_BUFFERED_BYTES)
  ) {
    throw invalid(
      `limits.maxBufferedBytes must be an integer of at least ${MIN_BUFFERED_BYTES} (what one socket write holds: less would drop clients that read), got ${shownValue(buffered)}`,
    );
  }
  return {
    ...connections,
    maxStreamsPerCredential: connections.maxStreams,
    maxBufferedBytes: buffered ?? MAX_BUFFERED_BYTES,
  };
}

const WINDOW_EVENTS = 1_000;
const MIN_WINDOW_EVENTS = 100;
const MAX_WINDOW_EVENTS = 1_000_000;

/** The `windowEvents` option checked; throws `invalid_option`. */
export function windowSize(value: unknown): number {
  if (value === undefined) return WINDOW_EVENTS;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < MIN_WINDOW_EVENTS ||
    value > MAX_WINDOW_EVENTS
  ) {
    throw new InspectorError(
      'invalid_option',
      `windowEvents must be an integer from ${MIN_WINDOW_EVENTS} to ${MAX_WINDOW_EVENTS}, got ${shownValue(value)}`,
    );
  }
  return value;
}
