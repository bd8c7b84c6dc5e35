// @internal The SSE stream caps of one server, in all and per credential. A stream stays open for
// a whole session, so an authenticated client that opens them without end holds connections
// (and their descriptors) without end; a slot is taken before a stream opens and given back
// when its response closes.
import type { ResolvedConnectionLimits } from './connectionLimits.js';

/** Seconds a refused client is told to wait (`Retry-After`) before it asks for a stream again. */
export const STREAM_RETRY_AFTER_S = 5;

/** A slot taken, or why none was. */
export type StreamSlot =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly message: string };

/** What the slots counted. */
export interface StreamStats {
  /** Streams open now. */
  readonly open: number;
  /** Streams refused at a cap so far. */
  readonly refused: number;
}

/**
 * Counts open streams in all and per credential. A credential is an opaque id that the auth
 * step hands over (never the secret itself): the loopback server's role, a capture-bound
 * credential, the proxy's secret, the inspector's launch token.
 */
export class StreamSlots {
  readonly #perCredential = new Map<string, number>();
  #open = 0;
  #refused = 0;

  constructor(
    private readonly limits: Pick<
      ResolvedConnectionLimits,
      'maxStreams' | 'maxStreamsPerCredential'
    >,
    /** The server's name in refusals: `the loopback server`, `the proxy`, `the inspector`. */
    private readonly server: string,
  ) {}

  /** Take a slot for `credential`; `release` (idempotent) gives it back. */
  acquire(credential: string): StreamSlot {
    const held = this.#perCredential.get(credential) ?? 0;
    const { maxStreams, maxStreamsPerCredential } = this.limits;
    // A per-credential cap as high as the total (the inspector's one token) is the total's.
    if (held >= maxStreamsPerCredential && maxStreamsPerCredential < maxStreams) {
      this.#refused += 1;
      return {
        ok: false,
        message: `Service Unavailable: this credential already holds ${held} open SSE streams, the most limits.maxStreamsPerCredential allows: close one before opening another (a client needs one per session)`,
      };
    }
    if (this.#open >= maxStreams) {
      this.#refused += 1;
      return {
        ok: false,
        message: `Service Unavailable: ${this.server} already serves ${this.#open} SSE streams, the most limits.maxStreams allows: retry after ${STREAM_RETRY_AFTER_S} s, once one has closed`,
      };
    }
    this.#perCredential.set(credential, held + 1);
    this.#open += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        const left = (this.#perCredential.get(credential) ?? 1) - 1;
        if (left === 0) this.#perCredential.delete(credential);
        else this.#perCredential.set(credential, left);
      },
    };
  }

  /** What the slots counted so far. */
  stats(): StreamStats {
    return { open: this.#open, refused: this.#refused };
  }
}
