// Issue 13: an upstream 400 that echoed the request's headers put the proxy's own
// `Authorization: Bearer …` into the agent's error and the event log. Whatever the upstream (or
// a child's stderr) says is redacted of the credentials the proxy holds before it reaches an
// agent, a log line or an event.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

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
});
