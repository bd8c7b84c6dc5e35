// @internal The owner and non-owner bearer tokens of one loopback server.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { LoopbackRole } from './LoopbackServer.js';

const TOKEN_BYTES = 32;
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Two random tokens minted when a server starts, matched in constant time.
 *
 * The presented token is hashed and both digests are compared with `timingSafeEqual`, always
 * both: equal-length buffers whatever the caller sent, so neither the length of a token nor
 * which of the two matched shows in the timing.
 */
export class BearerTokens {
  #owner: string | undefined;
  #nonOwner: string | undefined;
  readonly #ownerDigest: Buffer;
  readonly #nonOwnerDigest: Buffer;

  constructor() {
    this.#owner = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#nonOwner = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#ownerDigest = digest(this.#owner);
    this.#nonOwnerDigest = digest(this.#nonOwner);
  }

  /** The token of a role; undefined once forgotten. */
  token(role: LoopbackRole): string | undefined {
    return role === 'owner' ? this.#owner : this.#nonOwner;
  }

  /** The role whose token an `Authorization` header carries, or undefined. */
  match(authorization: string | undefined): LoopbackRole | undefined {
    if (this.#owner === undefined || authorization === undefined) return undefined;
    const presented = BEARER.exec(authorization)?.[1];
    if (presented === undefined) return undefined;
    const hash = digest(presented);
    const owner = timingSafeEqual(hash, this.#ownerDigest);
    const nonOwner = timingSafeEqual(hash, this.#nonOwnerDigest);
    return owner ? 'owner' : nonOwner ? 'non-owner' : undefined;
  }

  /** Drop both tokens: nothing matches afterwards. */
  forget(): void {
    this.#owner = undefined;
    this.#nonOwner = undefined;
    this.#ownerDigest.fill(0);
    this.#nonOwnerDigest.fill(0);
  }
}
