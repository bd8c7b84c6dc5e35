// @internal The owner and non-owner bearer tokens of one loopback server.
import { SecretMatcher } from '../../http/secretMatcher.js';
import { mintSecret, presentedToken } from '../endpoint/bearerSecret.js';
import type { LoopbackRole } from './LoopbackServer.js';

/**
 * Two random tokens minted when a server starts, matched in constant time.
 *
 * The presented token is always compared with both (see `SecretMatcher`), so neither the
 * length of a token nor which of the two matched shows in the timing.
 */
export class BearerTokens {
  #owner: string | undefined;
  #nonOwner: string | undefined;
  readonly #ownerMatcher: SecretMatcher;
  readonly #nonOwnerMatcher: SecretMatcher;

  constructor() {
    this.#owner = mintSecret();
    this.#nonOwner = mintSecret();
    this.#ownerMatcher = new SecretMatcher(this.#owner);
    this.#nonOwnerMatcher = new SecretMatcher(this.#nonOwner);
  }

  /** The token of a role; undefined once forgotten. */
  token(role: LoopbackRole): string | undefined {
    return role === 'owner' ? this.#owner : this.#nonOwner;
  }

  /** The role whose token an `Authorization` header carries, or undefined. */
  match(authorization: string | undefined): LoopbackRole | undefined {
    if (this.#owner === undefined) return undefined;
    const presented = presentedToken(authorization);
    if (presented === undefined) return undefined;
    const owner = this.#ownerMatcher.matches(presented);
    const nonOwner = this.#nonOwnerMatcher.matches(presented);
    return owner ? 'owner' : nonOwner ? 'non-owner' : undefined;
  }

  /** Drop both tokens: nothing matches afterwards. */
  forget(): void {
    this.#owner = undefined;
    this.#nonOwner = undefined;
    this.#ownerMatcher.forget();
    this.#nonOwnerMatcher.forget();
  }
}
