// The connection limits every toolflight HTTP server takes: defaults, and refusals that say what
// to pass instead.
import { describe, expect, it } from 'vitest';

import {
  CONNECTION_DEFAULTS,
  resolveConnectionLimits,
  type ConnectionLimits,
} from '../../src/http/connectionLimits.js';
import { StreamSlots } from '../../src/http/streamSlots.js';

class Refused extends Error {}
const resolve = (limits: unknown) =>
  resolveConnectionLimits(limits as ConnectionLimits, (message) => new Refused(message));

describe('resolveConnectionLimits', () => {
  it('fills in the defaults, keeping streams below connections when only the cap is given', () => {
    expect(resolve(undefined)).toEqual(CONNECTION_DEFAULTS);
    expect(CONNECTION_DEFAULTS).toEqual({
      maxConnections: 256,
      maxStreams: 64,
      maxStreamsPerCredential: 16,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 5_000,
    });
    expect(resolve({ maxConnections: 10 })).toMatchObject({
      maxConnections: 10,
      maxStreams: 5,
      maxStreamsPerCredential: 5,
    });
    expect(resolve({ maxStreams: 3 })).toMatchObject({ maxStreams: 3, maxStreamsPerCredential: 3 });
  });

  it.each([
    [{ maxConnections: 0 }, 'limits.maxConnections must be an integer of at least 2, got 0'],
    [{ maxConnections: 1.5 }, 'limits.maxConnections must be an integer of at least 2, got 1.5'],
    [{ maxConnections: '10' }, 'limits.maxConnections must be an integer of at least 2, got "10"'],
    [{ maxStreams: -1 }, 'limits.maxStreams must be an integer of at least 1, got -1'],
    [{ maxStreamsPerCredential: {} }, 'got an object'],
    [{ headersTimeoutMs: 0 }, 'limits.headersTimeoutMs must be a whole number of ms from 1 to'],
    [{ headersTimeoutMs: Number.NaN }, 'got NaN'],
    [{ idleTimeoutMs: Infinity }, 'got Infinity'],
    [{ idleTimeoutMs: 2 ** 31 }, 'from 1 to 2147483647, got 2147483648'],
    [
      { maxConnections: 8, maxStreams: 8 },
      'limits.maxStreams (8) must be below limits.maxConnections (8): streams stay open, and calls need connections of their own',
    ],
    [
      { maxStreams: 4, maxStreamsPerCredential: 5 },
      'limits.maxStreamsPerCredential (5) is above limits.maxStreams (4): lower it, or raise maxStreams',
    ],
    ['many', 'limits must be an object, got "many"'],
  ])('refuses %j with the error the server builds', (limits, message) => {
    expect(() => resolve(limits)).toThrow(Refused);
    expect(() => resolve(limits)).toThrow(message);
  });
});

describe('StreamSlots', () => {
  it('counts per credential and in all, and a released slot is free again (once)', () => {
    const slots = new StreamSlots({ maxStreams: 3, maxStreamsPerCredential: 2 }, 'the server');
    const a1 = slots.acquire('a');
    const a2 = slots.acquire('a');
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    const a3 = slots.acquire('a');
    expect(a3).toMatchObject({ ok: false });
    expect(!a3.ok && a3.message).toMatch(/limits\.maxStreamsPerCredential/);
    expect(slots.acquire('b').ok).toBe(true);
    const b2 = slots.acquire('b');
    expect(!b2.ok && b2.message).toMatch(
      /the server already serves 3 SSE streams.*limits\.maxStreams/,
    );
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(slots.stats()).toEqual({ open: 2, refused: 2 });
    expect(slots.acquire('b').ok).toBe(true);
    expect(slots.acquire('c').ok).toBe(false);
  });
});
