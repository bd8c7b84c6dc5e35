// @internal A secret matched in constant time: the inspector's launch token. (Agents' credentials
// carry an HMAC instead: src/mcp/endpoint/captureCredentials.ts.)
import { timingSafeEqual } from 'node:crypto';

/** Room for secrets of up to 128 characters; a longer given secret gets room of its own size. */
const MIN_ROOM = 512;

/**
 * One secret, matched in constant time without hashing (a SHA-256 per request was measured at
 * 3 to 8 µs, most of what checking the token cost): the presented token is written into a
 * zeroed buffer of a fixed size, which is compared whole with the secret padded to that size.
 * How long the comparison takes depends on that size and on the presented token only, never on
 * the secret's length or content.
 */
export class SecretMatcher {
  readonly #padded: Buffer;
  readonly #scratch: Buffer;
  #bytes: number;

  constructor(secret: string) {
    this.#bytes = Buffer.byteLength(secret, 'utf8');
    // Four bytes a character is the most UTF-8 needs: any token that could match fits.
    const room = Math.max(MIN_ROOM, 4 * secret.length);
    this.#padded = Buffer.alloc(room);
    this.#padded.write(secret, 'utf8');
    this.#scratch = Buffer.alloc(room);
  }

  /** True when `presented` is the secret; false for anything else, a missing value included. */
  matches(presented: string | null | undefined): boolean {
    if (typeof presented !== 'string') return false;
    // Longer than any token that could fit: refused on its own length, which the caller knows.
    if (presented.length * 4 > this.#scratch.length) return false;
    this.#scratch.fill(0);
    const written = this.#scratch.write(presented, 'utf8');
    const same = timingSafeEqual(this.#scratch, this.#padded);
    this.#scratch.fill(0);
    return same && written === this.#bytes;
  }

  /** Overwrite the secret: nothing matches afterwards. */
  forget(): void {
    this.#padded.fill(0);
    this.#bytes = -1;
  }
}
