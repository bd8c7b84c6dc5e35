// The renewal every request the link sends goes through, with sends and refreshes the test
// settles itself: one refresh per burst of refusals, one resend per request, never a loop.
import { describe, expect, it } from 'vitest';

import { CredentialRenewal } from '../../src/mcp/proxy/upstream/credentialRenewal.js';
import type { Forwarded } from '../../src/mcp/proxy/upstream/upstreamSession.js';

const ok: Forwarded = { kind: 'answer', message: { jsonrpc: '2.0', id: 1, result: {} } };
const refused = (status: number): Forwarded => ({
  kind: 'refused',
  refusal: { status, text: 'expired' },
});

/** A promise the test resolves when it chooses. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** An upstream that refuses token `old`; `refresh` swaps it for `new` once `gate` opens. */
function world(gate: Promise<void> = Promise.resolve()) {
  const state = { token: 'old', refreshes: 0, sent: [] as string[] };
  const renewal = new CredentialRenewal(
    async () => {
      state.refreshes += 1;
      await gate;
      state.token = 'new';
    },
    () => undefined,
  );
  const send = () => {
    state.sent.push(state.token);
    return Promise.resolve(state.token === 'new' ? ok : refused(401));
  };
  return { state, renewal, send };
}

describe('credential renewal', () => {
  it('renews once and sends the request again, so the caller sees only the success', async () => {
    const w = world();
    await expect(w.renewal.send(w.send)).resolves.toEqual(ok);
    expect(w.state).toEqual({ token: 'new', refreshes: 1, sent: ['old', 'new'] });
  });

  it('lets requests refused while a renewal is under way join it instead of starting another', async () => {
    const gate = deferred();
    const w = world(gate.promise);
    const all = Promise.all([1, 2, 3].map(() => w.renewal.send(w.send)));
    await Promise.resolve();
    gate.resolve();
    await expect(all).resolves.toEqual([ok, ok, ok]);
    expect(w.state.refreshes).toBe(1);
    expect(w.state.sent).toEqual(['old', 'old', 'old', 'new', 'new', 'new']);
  });

  it('resends without renewing again when a renewal finished after the request left', async () => {
    const w = world();
    const late = deferred<Forwarded>();
    // Sent under the old token; its refusal arrives only after another request renewed it.
    let first = true;
    const slow = w.renewal.send(() => {
      if (!first) return w.send();
      first = false;
      w.state.sent.push('old');
      return late.promise;
    });
    await w.renewal.send(w.send);
    late.resolve(refused(401));
    await slow;
    expect(w.state.refreshes).toBe(1);
    expect(w.state.sent).toEqual(['old', 'old', 'new', 'new']);
  });

  it('returns the second refusal after one renewal (403 too), never looping', async () => {
    let refreshes = 0;
    let sends = 0;
    const renewal = new CredentialRenewal(
      () => void refreshes++,
      () => undefined,
    );
    const outcome = await renewal.send(() => (sends++, Promise.resolve(refused(403))));
    expect(outcome).toEqual(refused(403));
    expect({ refreshes, sends }).toEqual({ refreshes: 1, sends: 2 });
  });

  it('keeps the first refusal and warns when refreshToken throws', async () => {
    const warnings: string[] = [];
    let sends = 0;
    const renewal = new CredentialRenewal(
      () => Promise.reject(new Error('vault sealed')),
      (message) => warnings.push(message),
    );
    const outcome = await renewal.send(() => (sends++, Promise.resolve(refused(401))));
    expect(outcome).toEqual(refused(401));
    expect(sends).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('vault sealed')]);
  });

  it('leaves other refusals and every answer alone', async () => {
    let refreshes = 0;
    const renewal = new CredentialRenewal(
      () => void refreshes++,
      () => undefined,
    );
    await expect(renewal.send(() => Promise.resolve(refused(429)))).resolves.toEqual(refused(429));
    await expect(renewal.send(() => Promise.resolve(ok))).resolves.toEqual(ok);
    expect(refreshes).toBe(0);
  });
});
