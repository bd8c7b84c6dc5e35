// @internal The owner and non-owner bearer tokens of one loopback server.
import { digestOf, mintSecret, presentedDigest, sameDigest } from './bearerSecret.js';
import type { LoopbackRole } from './LoopbackServer.js';

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
    this.#owner = mintSecret();
    this.#nonOwner = mintSecret();
    this.#ownerDigest = digestOf(this.#owner);
    this.#nonOwnerDigest = digestOf(this.#nonOwner);
  }

  /** The token of a role; undefined once forgotten. */
  token(role: LoopbackRole): string | undefined {
    return role === 'owner' ? this.#owner : this.#nonOwner;
  }

  /** The role whose token an `Authorization` header carries, or undefined. */
  match(authorization: string | undefined): LoopbackRole | undefined {
    if (this.#owner === undefined) return undefined;
    const hash = presentedDigest(authorization);
    if (hash === undefined) return undefined;
    const owner = sameDigest(hash, this.#ownerDigest);
    const nonOwner = sameDigest(hash, this.#nonOwnerDigest);
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
