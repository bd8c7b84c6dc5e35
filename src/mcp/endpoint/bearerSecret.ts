// @internal Bearer secrets of the MCP endpoints: minted, read from `Authorization`, matched in
// constant time (the loopback server's two tokens and the proxy's one secret share this).
import { randomBytes } from 'node:crypto';

import { SecretMatcher } from '../../http/secretMatcher.js';

const SECRET_BYTES = 32;
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** A fresh random token (32 bytes, base64url). */
export const mintSecret = (): string => randomBytes(SECRET_BYTES).toString('base64url');

/** The token an `Authorization: Bearer …` header carries, or undefined. */
export function presentedToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** One secret, given or minted, matched in constant time and forgotten on close. */
export class BearerSecret {
  #secret: string | undefined;
  readonly #matcher: SecretMatcher;

  constructor(secret: string = mintSecret()) {
    this.#secret = secret;
    this.#matcher = new SecretMatcher(secret);
  }

  /** The secret; undefined once forgotten. */
  get value(): string | undefined {
    return this.#secret;
  }

  /** True when the `Authorization` header carries the secret. */
  matches(authorization: string | undefined): boolean {
    return this.#secret !== undefined && this.#matcher.matches(presentedToken(authorization));
  }

  /** Drop the secret: nothing matches afterwards. */
  forget(): void {
    this.#secret = undefined;
    this.#matcher.forget();
  }
}
