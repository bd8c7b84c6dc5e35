import { describe, expect, it } from 'vitest';

import {
  allowedHosts,
  hostAllowed,
  isLoopbackOrigin,
  isOwnOrigin,
  loopbackAddress,
  nonLoopbackMessage,
} from '../../src/http/loopbackHosts.js';

describe('loopbackAddress', () => {
  it('binds 127.0.0.1 for 127.0.0.1, localhost or no host, and ::1 for ::1 with or without brackets', () => {
    expect(loopbackAddress(undefined)).toBe('127.0.0.1');
    expect(loopbackAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(loopbackAddress('localhost')).toBe('127.0.0.1');
    expect(loopbackAddress('::1')).toBe('::1');
    expect(loopbackAddress('[::1]')).toBe('::1');
  });

  it('refuses every other host: any interface, a LAN address, a name, another loopback spelling', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.2', '']) {
      expect(loopbackAddress(host), host).toBeUndefined();
    }
  });

  it('says what binds and which hosts to pass instead', () => {
    expect(nonLoopbackMessage('the inspector', '0.0.0.0')).toBe(
      'the inspector binds loopback only, not "0.0.0.0": pass host "127.0.0.1" (the default), "localhost" or "::1"',
    );
  });
});

describe('allowedHosts', () => {
  it('answers to its own address and localhost, on its own port only', () => {
    const hosts = allowedHosts('127.0.0.1', 4321);
    expect([...hosts]).toEqual(['127.0.0.1:4321', 'localhost:4321']);
    expect(hostAllowed('LOCALHOST:4321', hosts)).toBe(true);
    for (const host of [
      undefined,
      '127.0.0.1',
      '127.0.0.1:4322',
      'evil.example:4321',
      '[::1]:4321',
    ]) {
      expect(hostAllowed(host, hosts), String(host)).toBe(false);
    }
  });

  it('names ::1 in brackets, as a Host header does', () => {
    expect([...allowedHosts('::1', 4321)]).toEqual(['[::1]:4321', 'localhost:4321']);
  });

  it('also answers to the bare names on port 80, which clients leave out of Host', () => {
    expect([...allowedHosts('127.0.0.1', 80)]).toEqual([
      '127.0.0.1:80',
      'localhost:80',
      '127.0.0.1',
      'localhost',
    ]);
  });
});

describe('browser origins', () => {
  it('lets any loopback page call an endpoint, and no other origin', () => {
    for (const origin of [
      undefined,
      'http://localhost:5173',
      'https://127.0.0.1',
      'http://[::1]:8080',
      'http://LOCALHOST:1',
    ]) {
      expect(isLoopbackOrigin(origin), String(origin)).toBe(true);
    }
    for (const origin of [
      'https://evil.example',
      'null',
      'http://127.0.0.1.evil.example',
      'http://localhost.evil.example',
      'not a url',
    ]) {
      expect(isLoopbackOrigin(origin), origin).toBe(false);
    }
  });

  it("lets only the server's own http origin read a page-serving server", () => {
    const hosts = allowedHosts('127.0.0.1', 4321);
    expect(isOwnOrigin(undefined, hosts)).toBe(true);
    expect(isOwnOrigin('http://127.0.0.1:4321', hosts)).toBe(true);
    expect(isOwnOrigin('http://localhost:4321', hosts)).toBe(true);
    for (const origin of [
      'http://127.0.0.1:1',
      'https://127.0.0.1:4321',
      'http://evil.example:4321',
      'null',
      'not a url',
    ]) {
      expect(isOwnOrigin(origin, hosts), origin).toBe(false);
    }
  });
});
