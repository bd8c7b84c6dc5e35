// Regression: masking missed secrets (keys `auth`, `bearer`, `pwd`, `passphrase`, `GITHUB_PAT`,
// `session`; `Authorization: Bearer …` in arrays, URL user-info, `TOKEN=…` in stderr lines,
// result text and reasons) and masked what is not secret (`max_tokens`, `tokens`, `monkey`,
// `keyboard`, `idempotencyKey`, which `toolflight outbox retry` needs shown).
import { describe, expect, it } from 'vitest';

import { isSecretKey, MASK, maskSecrets, maskText } from '../src/events/maskSecrets.js';

const GITHUB = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
const FINE_GRAINED = `github_pat_11ABCDEFG0${'x'.repeat(60)}`;
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
/** A credential of the shape toolflight's servers mint for agents (`captureCredentials.ts`). */
const AGENT_CREDENTIAL = `tf1.agent.cnVuLTE.${'Q'.repeat(42)}E`;
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';

describe('isSecretKey and maskSecrets, by key', () => {
  const secret = [
    'auth',
    'bearer',
    'pwd',
    'passphrase',
    'GITHUB_PAT',
    'session',
    'password',
    'passwd',
    'newPassword',
    'password2',
    'password_confirmation',
    'db.password',
    'token',
    'access_token',
    'refreshToken',
    'sessionToken',
    'session_id',
    'sessionId',
    'NPM_TOKEN',
    'accessTokens',
    'apiKey',
    'api_key',
    'x-api-key',
    'APIKey',
    'apikey',
    'OPENAI_API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'private_key',
    'privateKey',
    'secretKey',
    'signingKeys',
    'client_secret',
    'clientSecret',
    'secrets',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'Set-Cookie',
    'credentials',
    'jwt',
    'otp',
    'oauth',
    'basicAuth',
    'authHeader',
    'accesstoken',
  ];
  const shown = [
    'max_tokens',
    'tokens',
    'input_tokens',
    'totalTokens',
    'monkey',
    'donkey',
    'turnkey',
    'keyboard',
    'keywords',
    'idempotencyKey',
    'key',
    'primaryKey',
    'publicKey',
    'keyId',
    'access_key_id',
    'token_count',
    'tokenCount',
    'tokenType',
    'token_url',
    'tokenizer',
    'authUrl',
    'auth_method',
    'author',
    'authority',
    'authenticated',
    'passenger',
    'passport',
    'passwordless',
    'secretName',
    'sessionTimeout',
    'cookiePath',
    'privateKeyPath',
    'to',
    'text',
    'user',
    'username',
  ];

  it.each(secret)('masks the value under %s', (key) => {
    expect(isSecretKey(key)).toBe(true);
    expect(maskSecrets({ [key]: 'v4lue-9f8e' })).toEqual({ [key]: MASK });
  });

  it.each(shown)('shows the value under %s', (key) => {
    expect(isSecretKey(key)).toBe(false);
    expect(maskSecrets({ [key]: 'v4lue-9f8e' })).toEqual({ [key]: 'v4lue-9f8e' });
  });
});

describe('maskText, by value', () => {
  const masked: readonly (readonly [string, string])[] = [
    ['Authorization: Bearer abc123', `Authorization: Bearer ${MASK}`],
    ['authorization: token ghs_x', `authorization: token ${MASK}`],
    ['Proxy-Authorization: Basic dXNlcjpwYXNz', `Proxy-Authorization: Basic ${MASK}`],
    ['Cookie: theme=dark; session=abc', `Cookie: ${MASK}`],
    ['sent Bearer abc.DEF-123_x to it', `sent Bearer ${MASK} to it`],
    ['header Basic dXNlcjpwYXNz end', `header Basic ${MASK} end`],
    ['https://user:pass@host/path', `https://user:${MASK}@host/path`],
    [
      'connecting to postgres://admin:s3cr3t@db:5432/app',
      `connecting to postgres://admin:${MASK}@db:5432/app`,
    ],
    ['TOKEN=abc123 node server.js', `TOKEN=${MASK} node server.js`],
    ['GITHUB_TOKEN="ghp_short" make', `GITHUB_TOKEN="${MASK}" make`],
    ['password: hunter2', `password: ${MASK}`],
    ['password="my secret pass" next', `password="${MASK}" next`],
    ['{"api_key": "abc", "to": "#ops"}', `{"api_key": "${MASK}", "to": "#ops"}`],
    ['{\\"token\\":\\"abc\\"}', `{\\"token\\":\\"${MASK}\\"}`],
    ['GET /cb?access_token=abc&state=1', `GET /cb?access_token=${MASK}&state=1`],
    ['AUTH=Bearer abc', `AUTH=Bearer ${MASK}`],
    [
      'HTTP 422 (TOKEN=abc123) [pwd=x] <secret=y>',
      `HTTP 422 (TOKEN=${MASK}) [pwd=${MASK}] <secret=${MASK}>`,
    ],
    ['run --password hunter2 --verbose', `run --password ${MASK} --verbose`],
    ['run --api-key=xyz', `run --api-key=${MASK}`],
    [`using ${GITHUB}`, `using ghp_${MASK}`],
    [`you sent ${AGENT_CREDENTIAL}, refused`, `you sent tf1.${MASK}, refused`],
    [`using ${FINE_GRAINED}`, `using github_pat_${MASK}`],
    ['slack xoxb-1234-5678-abcdefgh ok', `slack xoxb-${MASK} ok`],
    ['key AKIAIOSFODNN7EXAMPLE ok', `key AKIA${MASK} ok`],
    [`jwt ${JWT}`, `jwt eyJ${MASK}`],
    ['sk-proj-abcdefghijklmnopqrstuvwx1234', `sk-proj-${MASK}`],
    ['sk-ant-api03-abcdefghijklmnopqrstuv', `sk-ant-${MASK}`],
    ['sk_live_abcdefghijklmnop1234', `sk_live_${MASK}`],
    ['AIzaSyA1234567890abcdefghijklmnopqrstuv', `AIza${MASK}`],
    [`npm_${'a'.repeat(36)}`, `npm_${MASK}`],
    ['glpat-abcdefghij0123456789', `glpat-${MASK}`],
    [`${PEM}\nafter`, `-----BEGIN RSA PRIVATE KEY-----${MASK}-----END RSA PRIVATE KEY-----\nafter`],
    // A line cut before the end marker still hides the key.
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz', `-----BEGIN OPENSSH PRIVATE KEY-----${MASK}`],
  ];
  const untouched = [
    'Bearer tokens are defined in RFC 6750',
    'Basic usage: run it with --verbose',
    'max_tokens=5 tokens: 1200',
    'idempotencyKey=k-123 key=value',
    'monkey=banana keyboard: qwerty',
    'https://example.com:8080/path?q=1',
    'git@github.com:org/repo.git',
    'Error: connect ECONNREFUSED 127.0.0.1:9',
    'at Object.<anonymous> (/src/file.js:10:5)',
    'sk-learn is a library; task-skeleton',
    'the token expired, sign in again',
    'toolflight proxy --token-env RELAY_TOKEN',
    'AKIA is a prefix; eyJ alone is nothing',
    'version tf1.2.3 of the format',
    'plain text with no secret at all',
  ];

  it.each(masked)('masks %j', (input, output) => {
    expect(maskText(input)).toBe(output);
  });

  it.each(untouched)('leaves %j', (input) => {
    expect(maskText(input)).toBe(input);
  });

  it('leaves prose that names a secret word before a colon (bug: "no token: set it" was masked)', () => {
    expect(maskText('the upstream gets no token: set it or drop --token-env')).toBe(
      'the upstream gets no token: set it or drop --token-env',
    );
    // A setting still is one: a value with digits, quotes or `=`.
    expect(maskText('password: hunter2')).toBe('password: ••••••');
    expect(maskText('"token": "set"')).toBe('"token": "••••••"');
    expect(maskText('TOKEN=set')).toBe('TOKEN=••••••');
  });

  // How fast is measured in `npm run bench -- mask` (cost per byte at two sizes); here, that a
  // hostile string of each shape is masked to its end. A quadratic rule takes minutes at this
  // size, so it would show here as a test that never ends.
  it('masks to its end a long hostile string of each shape', () => {
    const size = 200_000;
    const shapes = [
      'a:',
      'a://',
      'http://u:',
      'token="',
      'x=token=',
      'Bearer ',
      'Basic aaaa',
      '--token ',
      'eyJaaaaaaaaaa.',
      'tf1.a.',
      'tf1.agent.aaaa.',
      '-----BEGIN PRIVATE KEY-----',
      'a.',
      '-',
    ];
    for (const shape of shapes) {
      const text = `${shape.repeat(Math.ceil(size / shape.length))} TOKEN=tail-secret`;
      const out = maskText(text);
      expect(out, shape).not.toContain('tail-secret');
    }
  });
});

describe('maskSecrets, by value and shape', () => {
  it('masks strings inside values: headers in arrays, reasons, result text', () => {
    const masked = maskSecrets({
      headers: ['Accept: json', 'Authorization: Bearer abc123'],
      result: { content: [{ type: 'text', text: 'deployed with TOKEN=abc123' }] },
      reason: 'upstream said: invalid api_key=xyz',
    });
    expect(masked).toEqual({
      headers: ['Accept: json', `Authorization: Bearer ${MASK}`],
      result: { content: [{ type: 'text', text: `deployed with TOKEN=${MASK}` }] },
      reason: `upstream said: invalid api_key=${MASK}`,
    });
  });

  it('hides a whole value under a secret key, keeps null and booleans, and leaves the input alone', () => {
    const input = {
      auth: { user: 'bob', password: 'p' },
      token: 1234,
      session: null,
      bearer: true,
      pwd: undefined,
    };
    expect(maskSecrets(input)).toEqual({
      auth: MASK,
      token: MASK,
      session: null,
      bearer: true,
      pwd: undefined,
    });
    expect(input.auth.password).toBe('p');
  });

  it('keeps `__proto__` as data and hides what is nested too deep to inspect', () => {
    const parsed = JSON.parse('{"__proto__": {"password": "p"}, "x": 1}') as object;
    const masked = maskSecrets(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value).toEqual({ password: MASK });
    let deep: unknown = { secret: 's' };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    expect(JSON.stringify(maskSecrets(deep))).not.toContain('"s"');
  });
});
