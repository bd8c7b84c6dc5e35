// The credential format shared by the loopback server and the proxy: what verifies, what does
// not, without a server around it.
import { describe, expect, it } from 'vitest';

import {
  captureKeyProblem,
  CaptureCredentials,
  MAX_CAPTURE_BYTES,
} from '../../src/mcp/endpoint/captureCredentials.js';

type Role = 'owner' | 'non-owner';
const fresh = () => new CaptureCredentials<Role>(['owner', 'non-owner']);
const bearer = (token: string) => `Bearer ${token}`;

/** `token` with its part `index` (0 version, 1 role, 2 capture, 3 MAC) replaced. */
const withPart = (token: string, index: number, part: string) =>
  token
    .split('.')
    .map((value, i) => (i === index ? part : value))
    .join('.');

describe('capture credentials', () => {
  it('carries any capture key up to 256 bytes of UTF-8 and its role, trimmed as the tracker trims keys', () => {
    const credentials = fresh();
    const keys = [
      'run-1',
      'a.b.c',
      'with spaces inside',
      'émoji 🚀 / ключ',
      '{"json":true}',
      'Bearer x',
      '%00\u0000',
      'é'.repeat(MAX_CAPTURE_BYTES / 2),
    ];
    for (const capture of keys) {
      for (const role of ['owner', 'non-owner'] as const) {
        const token = credentials.mint(capture, role)!;
        expect(credentials.verify(bearer(token)), capture).toEqual({ capture, role });
      }
    }
    expect(credentials.verify(bearer(credentials.mint('  padded\t', 'owner')!))).toEqual({
      capture: 'padded',
      role: 'owner',
    });
  });

  it('names what is wrong with a key it cannot carry: blank, over 256 bytes, a lone surrogate', () => {
    expect(captureKeyProblem('run-1')).toBeUndefined();
    expect(captureKeyProblem('é'.repeat(128))).toBeUndefined();
    expect(captureKeyProblem(' \t')).toMatch(/capture is empty: pass the capture key you began/);
    expect(captureKeyProblem(undefined)).toMatch(/capture is empty/);
    expect(captureKeyProblem('é'.repeat(129))).toMatch(/258 bytes of UTF-8, over 256/);
    expect(captureKeyProblem('a\uD800b')).toMatch(/lone UTF-16 surrogate/);
  });

  it('refuses forged, tampered, truncated and extended credentials', () => {
    const credentials = fresh();
    const token = credentials.mint('run-1', 'non-owner')!;
    const [, , capture, mac] = token.split('.') as [string, string, string, string];
    const otherCapture = Buffer.from('run-2').toString('base64url');
    // The last base64url character of a 32-byte MAC carries 2 unused bits: a variant spelling
    // decodes to the same bytes, and must not verify either.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variant = `${mac.slice(0, -1)}${alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]}`;
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    const forged = [
      withPart(token, 1, 'owner'),
      withPart(token, 2, otherCapture),
      withPart(token, 2, `${capture}A`),
      withPart(token, 0, 'tf2'),
      withPart(token, 3, `${mac.slice(0, -1)}${mac.at(-1) === 'A' ? 'B' : 'A'}`),
      withPart(token, 3, variant),
      withPart(token, 3, `${mac.slice(0, -1)}é`),
      withPart(token, 3, 'A'.repeat(43)),
      token.slice(0, -1),
      `${token}A`,
      `${token}.x`,
      `x.${token}`,
      token.replace(/\./g, '..'),
      token.split('.').slice(0, 3).join('.'),
      `tf1.non-owner..${mac}`,
      `tf1.non-owner.${capture}=.${mac}`,
      fresh().mint('run-1', 'non-owner')!,
    ];
    for (const presented of forged) {
      expect(credentials.verify(bearer(presented)), presented).toBeUndefined();
    }
    expect(credentials.verify(bearer(token))).toEqual({ capture: 'run-1', role: 'non-owner' });
  });

  it('refuses a tampered MAC of a credential it verified before, and verifies one it no longer remembers', () => {
    const credentials = fresh();
    const token = credentials.mint('run-1', 'owner')!;
    expect(credentials.verify(bearer(token))).toEqual({ capture: 'run-1', role: 'owner' });
    const mac = token.split('.')[3]!;
    const tampered = withPart(
      token,
      3,
      `${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`,
    );
    expect(credentials.verify(bearer(tampered))).toBeUndefined();
    // More verified credentials than it remembers: the first is computed again, and still holds.
    for (let i = 0; i < 1100; i++)
      credentials.verify(bearer(credentials.mint(`run-${i + 2}`, 'owner')!));
    expect(credentials.verify(bearer(token))).toEqual({ capture: 'run-1', role: 'owner' });
    expect(credentials.verify(bearer(tampered))).toBeUndefined();
  });

  it('refuses a role it was not made for', () => {
    const proxy = new CaptureCredentials(['agent'] as const);
    const loopback = fresh();
    const agent = proxy.mint('run-1', 'agent')!;
    expect(loopback.verify(bearer(agent))).toBeUndefined();
    expect(proxy.verify(bearer(agent))).toEqual({ capture: 'run-1', role: 'agent' });
  });

  it('verifies and mints nothing once forgotten, not even a credential it verified before', () => {
    const credentials = fresh();
    const token = credentials.mint('run-1', 'owner')!;
    expect(credentials.verify(bearer(token))).toBeDefined();
    credentials.forget();
    expect(credentials.verify(bearer(token))).toBeUndefined();
    expect(credentials.mint('run-1', 'owner')).toBeUndefined();
  });
});
