// @internal Bearer secrets matched in constant time: the loopback server's two tokens and the
// proxy's one secret share this.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 32;
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** The SHA-256 digest of a token: equal-length buffers whatever the caller sent. */
export const digestOf = (text: string): Buffer =>
  createHash('sha256').update(text, 'utf8').digest();

/** A fresh random token (32 bytes, base64url). */
export const mintSecret = (): string => randomBytes(SECRET_BYTES).toString('base64url');

/** The digest of the token an `Authorization: Bearer …` header carries, or undefined. */
export function presentedDigest(authorization: string | undefined): Buffer | undefined {
  if (authorization === undefined) return undefined;
  const presented = BEARER.exec(authorization)?.[1];
  return presented === undefined ? undefined : digestOf(presented);
}

/** True when two digests are equal, compared in constant time. */
export const sameDigest = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b);

/** One secret, given or minted, matched in constant time and forgotten on close. */
export class BearerSecret {
  #secret: string | undefined;
  readonly #digest: Buffer;

  constructor(secret: string = mintSecret()) {
    this.#secret = secret;
    this.#digest = digestOf(secret);
  }

  /** The secret; undefined once forgotten. */
  get value(): string | undefined {
    return this.#secret;
  }

  /** True when the `Authorization` header carries the secret. */
  matches(authorization: string | undefined): boolean {
    if (this.#secret === undefined) return false;
    const presented = presentedDigest(authorization);
    return presented !== undefined && sameDigest(presented, this.#digest);
  }

  /** Drop the secret: nothing matches afterwards. */
  forget(): void {
    this.#secret = undefined;
    this.#digest.fill(0);
  }
}
