// Issue 13: an upstream 400 that echoed the request's headers put the proxy's own
// `Authorization: Bearer …` into the agent's error and the event log. Whatever the upstream (or
// a child's stderr) says is redacted of the credentials the proxy holds before it reaches an
// agent, a log line or an event.
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { MessageSecrets } from '../../src/mcp/proxy/upstream/redact.js';
import { startScriptedUpstream } from '../fixtures/proxy/scriptedUpstream.js';
import { nextNotice, onCleanup, startProxy, stdioUpstream, upstreamIs } from './support.js';

/** Mixed case and digits, so that only the literal it is, not a shape, can find it bare. */
const TOKEN = 'Up7f3a9c2e51b84d06';

/** Everything an agent, a log reader and an operator could see, as one text. */
const seen = (...parts: unknown[]): string => JSON.stringify(parts);

async function echoingUpstream() {
  const upstream = await startScriptedUpstream({ streams: false });
  onCleanup(() => upstream.stop());
  return upstream;
}

describe('proxy: an upstream that echoes what it was sent', () => {
  it('passes its 400 on with the proxy’s token and the agent’s credential masked, in the error, the log and the logger', async () => {
    const upstream = await echoingUpstream();
    const warnings: string[] = [];
    const h = await startProxy({
      upstream: { url: upstream.url, getToken: () => TOKEN },
      scheduler: new VirtualTimeScheduler(),
      logger: { warn: (line) => warnings.push(line) },
    });
    const agent = await h.connect();
    const credential = h.proxy.credential({ capture: 'run-1' });
    const failures: unknown[] = [];
    for (const name of ['echo_request', 'echo_request_text']) {
      const failure = await agent
        .callTool({ name, arguments: { note: `mine is ${credential}` } })
        .catch((error: unknown) => error);
      failures.push(failure);
      // The refusal still reaches the agent: what was said, minus the credentials.
      expect(failure).toMatchObject({
        message: expect.stringMatching(/accept: application\/json/) as unknown,
      });
    }
    expect(failures[0]).toMatchObject({ code: -32600 });
    expect(failures[1]).toMatchObject({ code: -32000, data: { status: 400 } });
    const errors = seen(
      failures.map((failure) => ({ ...(failure as object) })),
      failures.map(String),
    );
    expect(errors).not.toContain(TOKEN);
    expect(errors).not.toContain(credential);
    // The echo is real: the header was there, its value masked.
    expect(errors).toContain('Bearer ••••••');
    const reasons = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.reason] : []));
    expect(reasons).toHaveLength(2);
    expect(seen(reasons)).not.toContain(credential);
    // The agent's own arguments are recorded as sent; nothing else in the log holds a secret.
    expect(seen(h.events())).not.toContain(TOKEN);
    expect(seen(warnings, h.notices)).not.toContain(TOKEN);
  });

  it('Seen: an isError result and a log notification that echoed the request’s headers reached the agent and the log with the proxy’s token; it is masked, and the agent’s own data is not', async () => {
    const upstream = await echoingUpstream();
    let token = TOKEN;
    const h = await startProxy({
      upstream: { url: upstream.url, getToken: () => token },
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    const logs: unknown[] = [];
    agent.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    // The agent's own text looks like a credential: it is the agent's, and comes back as sent.
    const own = 'Bearer agents-own-4f2a9e71c3';
    const results = [];
    for (const name of ['echo_request_result', 'echo_request_log']) {
      const result = CallToolResultSchema.parse(
        await agent.callTool({ name, arguments: { note: own } }),
      );
      expect(result.isError).toBe(true);
      results.push(result);
    }
    // A rotated token: the one before it is still the proxy's, and the upstream quotes it later.
    token = 'Rot4e8d1b6a92c07f35';
    const rotated = CallToolResultSchema.parse(
      await agent.callTool({ name: 'echo_request_result', arguments: { note: own } }),
    );
    expect(rotated.structuredContent).toEqual(
      expect.objectContaining({ token: '••••••', first: '••••••' }),
    );
    results.push(rotated);
    expect(logs).toHaveLength(1);
    const received = seen(results, logs);
    expect(received).not.toContain(TOKEN);
    expect(received).not.toContain(token);
    // The echo is real: the header was there, its value masked; the agent's text untouched.
    expect(received).toContain('authorization: Bearer ••••••');
    expect(received).toContain(own);
    expect(results[0]).toMatchObject({ structuredContent: { token: '••••••' } });
    expect(seen(h.events(), h.notices)).not.toContain(TOKEN);
    expect(seen(h.events(), h.notices)).not.toContain(token);
    const recorded = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data] : []));
    expect(recorded).toHaveLength(3);
    expect(seen(recorded)).toContain('authorization: Bearer ••••••');
  });

  it('masks them in the notice, the log and the logger when it refuses initialize with the echo', async () => {
    const upstream = await echoingUpstream();
    upstream.refuseInitialize = true;
    const warnings: string[] = [];
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: {
        url: upstream.url,
        getToken: () => TOKEN,
        refreshToken: () => {
          throw new Error(`the vault revoked Authorization: Bearer ${TOKEN}`);
        },
      },
      scheduler: clock,
      logger: { warn: (line) => warnings.push(line) },
    });
    const down = await nextNotice(h.proxy, upstreamIs('down'));
    expect(down).toMatchObject({ data: { reason: expect.stringMatching(/HTTP 401/) as unknown } });
    const agent = await h.connect();
    const failure = await agent.listTools().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: -32002 });

    expect(warnings.some((line) => line.includes('refreshToken threw'))).toBe(true);
    const everything = seen(down, String(failure), h.events(), h.notices, warnings);
    expect(everything).not.toContain(TOKEN);
    expect(everything).toContain('••••••');
  });
});

describe('proxy: the proxy’s own secrets in what the upstream says otherwise', () => {
  const secret = 'ab/cd"ef\\gh';
  const message = {
    jsonrpc: '2.0',
    id: 1,
    result: { content: [{ type: 'text', text: `x ${secret} y` }], [secret]: ['Bearer mine'] },
  };

  it('finds a secret in JSON text however it is escaped, and says nothing of text without one', () => {
    const secrets = new MessageSecrets([secret]);
    const json = JSON.stringify(message);
    expect(secrets.maybeIn(json)).toBe(true);
    expect(secrets.maybeIn(json.replaceAll('/', '\\/'))).toBe(true);
    expect(secrets.maybeIn(JSON.stringify({ text: 'Bearer mine' }))).toBe(false);
    // A `\u` escape could spell one out: maybe.
    expect(secrets.maybeIn('{"text":"\\u0061b/cd"}')).toBe(true);
    // Too short to be a secret, and none at all.
    expect(new MessageSecrets(['ab']).maybeIn(json)).toBe(false);
    expect(new MessageSecrets().maybeIn('{"text":"\\u0061"}')).toBe(false);
  });

  it('masks it in keys and values alike, leaves everything else (and a message without it) as it is', () => {
    const secrets = new MessageSecrets([secret]);
    expect(secrets.outOf(message)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'x •••••• y' }], '••••••': ['Bearer mine'] },
    });
    const clean = { jsonrpc: '2.0', id: 1, result: { text: 'Bearer mine' } };
    expect(secrets.outOf(clean)).toBe(clean);
  });

  it('keeps the most recent secrets only, when told how many', () => {
    const tokens = new MessageSecrets([], 2);
    for (const token of ['first-token', 'second-token', 'third-token']) tokens.add(token);
    expect(tokens.outOf(['first-token', 'second-token', 'third-token'])).toEqual([
      'first-token',
      '••••••',
      '••••••',
    ]);
  });
});

// The fixture child compiles TypeScript as it starts: allow for a loaded machine.
describe('proxy: a stdio child that writes a secret to stderr', { timeout: 30_000 }, () => {
  it('masks the secret it was given in its stderr notices and its exit report', async () => {
    const warnings: string[] = [];
    const h = await startProxy({
      upstream: { ...stdioUpstream('--leak-stderr'), env: { FIXTURE_TOKEN: TOKEN } },
      logger: { warn: (line) => warnings.push(line) },
    });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const failure = await agent.callTool({ name: 'die', arguments: {} }).catch((e: unknown) => e);
    // The exit report: the session's calls fail with it, and the logger says the session ended.
    expect(String(failure)).toMatch(/fixture: connecting with ••••••/);
    const report = warnings.find((line) => line.includes('exit code 7'));
    expect(report).toMatch(/fixture: connecting with ••••••/);
    const stderr = h.notices.flatMap((n) =>
      n.type === 'upstream.changed' && n.data.stderr !== undefined ? [n.data.stderr] : [],
    );
    expect(stderr).toContain('fixture: Authorization: Bearer ••••••');
    expect(seen(String(failure), h.events(), h.notices, warnings)).not.toContain(TOKEN);
  });

  it('Seen: its isError result and log line quoting the secret it was given reached the agent and the log; it is masked, and the agent’s own data is not', async () => {
    const h = await startProxy({
      upstream: { ...stdioUpstream(), env: { FIXTURE_TOKEN: TOKEN } },
    });
    const agent = await h.connect();
    // The stdio transport has no answer streams: the log line comes on the GET stream.
    const logged = new Promise<unknown>((resolve) =>
      agent.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params)),
    );
    const own = 'Bearer agents-own-4f2a9e71c3';
    const result = CallToolResultSchema.parse(
      await agent.callTool({ name: 'leak_env', arguments: { note: own } }),
    );
    expect(result).toMatchObject({
      isError: true,
      content: [{ text: `refused with •••••• for ${JSON.stringify({ note: own })}` }],
    });
    expect(await logged).toEqual({ level: 'error', data: { using: '••••••' } });
    expect(seen(h.events(), h.notices)).not.toContain(TOKEN);
  });
});
