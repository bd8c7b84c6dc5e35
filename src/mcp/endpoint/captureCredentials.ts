// @internal Credentials bound to one capture key and one role: what the loopback server and the
// proxy hand to agents, so that one agent cannot report into (or act under) another run's
// capture. A credential reads `tf1.<role>.<capture key, base64url>.<mac>`, the MAC an
// HMAC-SHA256 over everything before it under a key minted when the server starts and forgotten
// when it closes: verifying needs no state per capture, and only this server can mint one.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const VERSION = 'tf1';
const PREFIX = `${VERSION}.`;
const DOT = 0x2e;
const KEY_BYTES = 32;
/** base64url of a 32-byte HMAC-SHA256, unpadded. */
const MAC_CHARS = 43;
/** The longest capture key a credential carries, in UTF-8 bytes: it travels in every request. */
export const MAX_CAPTURE_BYTES = 256;
const MAX_CAPTURE_CHARS = Math.ceil((MAX_CAPTURE_BYTES * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/**
 * A 32-byte MAC in base64url: its last character carries 4 bits, so only the 16 characters
 * whose 2 low bits are zero are canonical; the others spell the same bytes another way.
 */
const CANONICAL_MAC = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** How many verified credentials are remembered (see `CaptureCredentials`). */
const REMEMBERED = 1024;

/** Who a verified credential was minted for. */
export interface CaptureClaim<R extends string> {
  /** The capture key, as the tracker normalizes it (trimmed). */
  readonly capture: string;
  readonly role: R;
}

/**
 * Why `capture` cannot be bound into a credential, or undefined when it can. The caller throws
 * it as its own typed error (`LoopbackError`, `ProxyError`).
 */
export function captureKeyProblem(capture: unknown): string | undefined {
  if (typeof capture !== 'string' || capture.trim() === '') {
    return 'capture is empty: pass the capture key you began for this agent run (tracker.beginCapture)';
  }
  // A lone surrogate has no UTF-8 form: the key would come back as another string.
  if (/\p{Cs}/u.test(capture)) {
    return 'capture key holds a lone UTF-16 surrogate, which UTF-8 cannot carry: use a well-formed string';
  }
  const bytes = Buffer.byteLength(capture.trim(), 'utf8');
  if (bytes > MAX_CAPTURE_BYTES) {
    return `capture key is ${bytes} bytes of UTF-8, over ${MAX_CAPTURE_BYTES}: use a shorter key (every request carries it in its credential)`;
  }
  return undefined;
}

/**
 * Mints and verifies the credentials of one server. Verification takes time that depends only
 * on the presented token (its length and shape, which its sender knows), never on the key: the
 * MAC is recomputed over the presented text and compared with `timingSafeEqual`, 32 bytes to
 * 32 bytes, and only its canonical spelling is accepted, so no variant of a MAC verifies.
 *
 * The MAC of a credential that verified is remembered by the credential's public part (role
 * and capture) for the next request: an HMAC on a request's cold path was measured at 25 to
 * 45 µs, a tenth of what the proxy adds to a call. The lookup is keyed by what the sender
 * presented, so its timing shows at most whether that role and capture were used lately (keys
 * are not secrets: every recording names them); the MAC comparison stays constant-time. It is
 * a bounded cache that verification never needs (a forgotten entry is computed again), and
 * only credentials this server minted get in.
 */
export class CaptureCredentials<R extends string> {
  #key: Buffer | undefined = randomBytes(KEY_BYTES);
  readonly #roles: ReadonlySet<string>;
  readonly #maxChars: number;
  readonly #verified = new Map<string, { readonly mac: Buffer; readonly claim: CaptureClaim<R> }>();

  constructor(roles: readonly R[]) {
    this.#roles = new Set(roles);
    const longestRole = Math.max(...roles.map((role) => role.length));
    this.#maxChars = VERSION.length + longestRole + MAX_CAPTURE_CHARS + MAC_CHARS + 3;
  }

  /** A credential for `capture` (check it with `captureKeyProblem`); undefined once forgotten. */
  mint(capture: string, role: R): string | undefined {
    const key = this.#key;
    if (key === undefined) return undefined;
    const encoded = Buffer.from(capture.trim(), 'utf8').toString('base64url');
    const body = `${VERSION}.${role}.${encoded}`;
    return `${body}.${createHmac('sha256', key).update(body, 'utf8').digest('base64url')}`;
  }

  /** The claim of the credential an `Authorization: Bearer …` header carries, or undefined. */
  verify(authorization: string | undefined): CaptureClaim<R> | undefined {
    const key = this.#key;
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (key === undefined || token === undefined || token.length > this.#maxChars) return undefined;
    // Parsed with indexOf rather than split: this runs on every request, and every allocation
    // on a cold path shows in the proxy's latency.
    const macAt = token.length - MAC_CHARS - 1;
    const roleEnd = token.indexOf('.', PREFIX.length);
    if (!token.startsWith(PREFIX) || roleEnd < 0 || roleEnd >= macAt) return undefined;
    if (token.charCodeAt(macAt) !== DOT) return undefined;
    const role = token.slice(PREFIX.length, roleEnd);
    const encoded = token.slice(roleEnd + 1, macAt);
    const presented = token.slice(macAt + 1);
    if (!this.#roles.has(role) || !BASE64URL.test(encoded) || !CANONICAL_MAC.test(presented)) {
      return undefined;
    }
    const body = token.slice(0, macAt);
    const known = this.#verified.get(body);
    const expected = known?.mac ?? createHmac('sha256', key).update(body, 'utf8').digest();
    // Canonical base64url decodes one to one, so comparing bytes compares the texts.
    if (!timingSafeEqual(expected, Buffer.from(presented, 'base64url'))) return undefined;
    if (known !== undefined) return known.claim;
    const claim = { capture: Buffer.from(encoded, 'base64url').toString('utf8'), role: role as R };
    if (this.#verified.size >= REMEMBERED)
      this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(body, { mac: expected, claim });
    return claim;
  }

  /** Overwrite the key: nothing verifies and nothing is minted afterwards. */
  forget(): void {
    this.#key?.fill(0);
    this.#key = undefined;
    for (const { mac } of this.#verified.values()) mac.fill(0);
    this.#verified.clear();
  }
}
