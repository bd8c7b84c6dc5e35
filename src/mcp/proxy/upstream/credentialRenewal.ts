// @internal The one place that renews the upstream credential: every request the link sends
// (its own initialize, agents' requests, the outbox's deliveries) goes through `send`, so a
// token that expires mid-session is renewed for whoever meets the refusal first.
import type { Forwarded } from './upstreamSession.js';

/** The upstream refused the credential (HTTP 401 or 403). */
export const credentialRefused = (
  outcome: Forwarded,
): outcome is Extract<Forwarded, { kind: 'refused' }> =>
  outcome.kind === 'refused' && (outcome.refusal.status === 401 || outcome.refusal.status === 403);

/** Sends under a credential that may expire; at most one `refreshToken` call runs at a time. */
export class CredentialRenewal {
  /** Renewals finished so far, and whether the last one succeeded. */
  #finished = 0;
  #lastSucceeded = false;
  #inFlight: Promise<boolean> | undefined;

  constructor(
    private readonly refreshToken: (() => void | Promise<void>) | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /** Whether a refused credential can be renewed (the host gave a `refreshToken`). */
  get renews(): boolean {
    return this.refreshToken !== undefined;
  }

  /** Renewals finished so far: read it before a send, and hand it to `resend`. */
  get finished(): number {
    return this.#finished;
  }

  /**
   * Send; when the credential is refused, renew it and send once more. A 401/403 means the
   * upstream did not process the request, so sending it again is safe; a second refusal is the
   * outcome (no loop), and so is the first one when `refreshToken` throws.
   */
  async send(send: () => Promise<Forwarded>): Promise<Forwarded> {
    const finishedBefore = this.#finished;
    return this.resend(await send(), finishedBefore, send);
  }

  /**
   * What `send` does once the first answer is in: split out so that the proxy's hot path pays
   * for no extra promise when nothing was refused.
   */
  async resend(
    first: Forwarded,
    finishedBefore: number,
    send: () => Promise<Forwarded>,
  ): Promise<Forwarded> {
    const refresh = this.refreshToken;
    if (refresh === undefined || !credentialRefused(first)) return first;
    // Requests refused together share one renewal: join the one under way, or take the result
    // of one that finished after this request left (it was sent with the old credential).
    const renewed =
      this.#inFlight ??
      (this.#finished !== finishedBefore ? this.#lastSucceeded : this.#renew(refresh));
    return (await renewed) ? send() : first;
  }

  #renew(refresh: () => void | Promise<void>): Promise<boolean> {
    const renewal = (async () => {
      try {
        await refresh();
        return true;
      } catch (error) {
        this.warn(`refreshToken threw, so the upstream's refusal stands: ${String(error)}`);
        return false;
      }
    })().then((succeeded) => {
      this.#finished += 1;
      this.#lastSucceeded = succeeded;
      this.#inFlight = undefined;
      return succeeded;
    });
    this.#inFlight = renewal;
    return renewal;
  }
}
