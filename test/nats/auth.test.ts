// Shipping and reading through a nats-server that requires credentials, a token or TLS: the
// `connection` option reaches the client, and a refusal says why without showing the secret.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { createTracker, sequentialIds } from '../../src/index.js';
import {
  NatsError,
  readJetStream,
  shipToJetStream,
  type NatsServerOptions,
} from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

const USER = 'fleet';
const PASS = 'hunter2-s3cret';
const TOKEN = 'tok-0f9e8d7c6b5a';

let dir: string;
const servers: NatsServer[] = [];
let streams = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolflight-auth-'));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function started(args: readonly string[]): Promise<NatsServer> {
  const server = await startNatsServer({ args });
  servers.push(server);
  return server;
}

/** Ship three tool calls through `server`'s options, then read them back the same way. */
async function shipAndRead(server: NatsServerOptions): Promise<number[]> {
  streams += 1;
  const names = { stream: `AUTH${streams}`, prefix: `auth${streams}` };
  const shipper = await shipToJetStream({
    ...server,
    host: 'host-a',
    spool: join(dir, `spool-${streams}`),
    ...names,
  });
  const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
  tracker.beginCapture('run-1');
  for (let i = 0; i < 3; i++) {
    const call = tracker.toolCallStarted({
      request: tracker.requestStarted('run-1'),
      toolName: 'send',
      args: { i },
    });
    tracker.toolCallFinished(call);
  }
  await shipper.flushed();
  await shipper.close();
  const seqs: number[] = [];
  for await (const { event } of readJetStream({ ...server, ...names })) seqs.push(event.seq);
  return seqs;
}

/** The error a read through `server`'s options rejects with. */
async function readError(server: NatsServerOptions): Promise<unknown> {
  try {
    await readJetStream({ ...server, stream: 'ANY' }).next();
  } catch (error) {
    return error;
  }
  throw new Error('the read did not fail');
}

/** The first error a shipper through `server`'s options reports, and its `stats()` then. */
async function shipError(server: NatsServerOptions): Promise<Error> {
  streams += 1;
  const errors: Error[] = [];
  const shipper = await shipToJetStream({
    ...server,
    host: 'host-a',
    spool: join(dir, `spool-${streams}`),
    stream: `AUTH${streams}`,
    prefix: `auth${streams}`,
    onError: (error) => errors.push(error),
  });
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  expect(shipper.stats().acknowledged).toBe(0);
  await shipper.close();
  return errors[0]!;
}

const gaplessSeqs = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

describe('a server that requires a user and password', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await started(['--user', USER, '--pass', PASS]);
  }, 30_000);

  it('takes them in the server URL', async () => {
    const seqs = await shipAndRead({ servers: `nats://${USER}:${PASS}@127.0.0.1:${server.port}` });
    expect(seqs).toEqual(gaplessSeqs(seqs.length));
    expect(seqs.length).toBeGreaterThan(3);
  });

  it('takes them as connection: { user, pass }', async () => {
    const seqs = await shipAndRead({ servers: server.url, connection: { user: USER, pass: PASS } });
    expect(seqs).toEqual(gaplessSeqs(seqs.length));
    expect(seqs.length).toBeGreaterThan(3);
  });

  it('refuses a wrong password with nats_unreachable, saying authorization failed, never showing it', async () => {
    const wrong = 'WRONG-pa55word';
    for (const options of [
      { servers: server.url, connection: { user: USER, pass: wrong } },
      { servers: `nats://${USER}:${wrong}@127.0.0.1:${server.port}` },
    ]) {
      const error = await readError(options);
      expect(error).toBeInstanceOf(NatsError);
      expect((error as NatsError).code).toBe('nats_unreachable');
      expect((error as NatsError).message).toMatch(/authorization/i);
      expect((error as NatsError).message).toMatch(/refused the credentials: pass the right ones/);
      expect((error as NatsError).message).not.toContain(wrong);
      const reported = await shipError(options);
      expect(reported).toBeInstanceOf(NatsError);
      expect(reported.message).toMatch(/authorization/i);
      expect(`${reported.message}\n${reported.stack ?? ''}`).not.toContain(wrong);
    }
  });

  it('refuses a client with no credentials, saying authorization failed', async () => {
    const error = await readError({ servers: server.url });
    expect(error).toBeInstanceOf(NatsError);
    expect((error as NatsError).message).toMatch(/authorization/i);
  });

  it('makes `toolflight verify nats://USER:WRONG@…` exit 1 without printing the password', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
    const code = await runCli(
      ['verify', `nats://${USER}:WRONG-cli-pass@127.0.0.1:${server.port}/AUTH1`],
      io,
    );
    expect(code).toBe(1);
    const printed = [...stdout, ...stderr].join('\n');
    expect(printed).toMatch(/authorization/i);
    expect(printed).not.toContain('WRONG-cli-pass');
  });
});

describe('credentials in server URLs', () => {
  it('refuses servers that carry different ones, before connecting', async () => {
    const error = await readError({
      servers: ['nats://a:one@127.0.0.1:1', 'nats://a:two@127.0.0.1:2'],
    });
    expect(error).toBeInstanceOf(NatsError);
    expect((error as NatsError).code).toBe('invalid_argument');
    expect((error as NatsError).message).toMatch(/carry different credentials/);
    expect((error as NatsError).message).not.toMatch(/a:one|a:two/);
  });
});

describe('a server that requires a token', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await started(['--auth', TOKEN]);
  }, 30_000);

  it('takes it as connection: { token }', async () => {
    const seqs = await shipAndRead({ servers: server.url, connection: { token: TOKEN } });
    expect(seqs).toEqual(gaplessSeqs(seqs.length));
  });

  it('takes it in the server URL as nats://TOKEN@HOST:PORT', async () => {
    const seqs = await shipAndRead({ servers: `nats://${TOKEN}@127.0.0.1:${server.port}` });
    expect(seqs).toEqual(gaplessSeqs(seqs.length));
  });

  it('refuses a wrong token, saying authorization failed, never showing it', async () => {
    const error = await readError({ servers: server.url, connection: { token: 'not-the-token' } });
    expect(error).toBeInstanceOf(NatsError);
    expect((error as NatsError).message).toMatch(/authorization/i);
    expect((error as NatsError).message).not.toContain('not-the-token');
  });
});

describe('a server that requires TLS', () => {
  let server: NatsServer;
  let ca: string;
  beforeAll(async () => {
    const probe = (() => {
      try {
        return execFileSync('openssl', ['version'], { encoding: 'utf8' });
      } catch (error) {
        throw new Error(`the TLS tests need openssl on PATH: ${String(error)}`, { cause: error });
      }
    })();
    expect(probe).toMatch(/SSL/);
    const tls = mkdtempSync(join(dir, 'tls-'));
    const at = (name: string) => join(tls, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=toolflight test CA',
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      at('server.key'),
      '-out',
      at('server.csr'),
    );
    // The client checks a server it reaches by IP against the name `localhost` (Node's default
    // servername when nats.js gives none), so the certificate names both.
    writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl(
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      at('ext.cnf'),
      '-out',
      at('server.pem'),
    );
    ca = readFileSync(at('ca.pem'), 'utf8');
    server = await started(['--tls', '--tlscert', at('server.pem'), '--tlskey', at('server.key')]);
  }, 30_000);

  it('ships and reads with connection: { tls: { ca } }', async () => {
    const seqs = await shipAndRead({ servers: server.url, connection: { tls: { ca } } });
    expect(seqs).toEqual(gaplessSeqs(seqs.length));
  });

  it('refuses a client that does not trust the CA, saying the certificate is the problem', async () => {
    const error = await readError({ servers: server.url });
    expect(error).toBeInstanceOf(NatsError);
    expect((error as NatsError).code).toBe('nats_unreachable');
    expect((error as NatsError).message).toMatch(/certificate/i);
    expect((error as NatsError).message).toMatch(/connection: \{ tls: \{ ca \} \}/);
  });
});
