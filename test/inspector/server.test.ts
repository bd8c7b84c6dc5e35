import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  ToolflightError,
  type Tracker,
} from '../../src/index.js';
import {
  createInspector,
  InspectorError,
  maskSecrets,
  type Inspector,
  type InspectorOptions,
} from '../../src/inspector/index.js';
import { recordingFeed } from '../../src/inspector/eventFeed.js';
import { get, openSse, type SseReader } from './support.js';

const open: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start(
  source: Parameters<typeof createInspector>[0],
  options?: InspectorOptions,
): Promise<Inspector> {
  const inspector = await createInspector(source, options);
  open.push(inspector);
  return inspector;
}

async function sse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await openSse(url, headers);
  open.push(reader);
  return reader;
}

/** A few tool calls' worth of events. */
function traffic(tracker: Tracker, calls: number, args: Record<string, unknown> = {}): void {
  for (let i = 0; i < calls; i++) {
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
  }
}

/** The seqs of every event received, in order (history messages carry many, one per line). */
const seqs = (reader: SseReader) =>
  reader.frames
    .filter((frame) => frame.event === 'message')
    .flatMap((frame) =>
      frame.data.split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq),
    );

describe('inspector server: who may read it', () => {
  it('refuses the page and the stream without the launch token (401), serves them with it', async () => {
    const inspector = await start({ tracker: createTracker() });
    expect((await get(`${inspector.origin}/`)).status).toBe(401);
    expect((await get(`${inspector.origin}/events`)).status).toBe(401);
    expect((await get(`${inspector.origin}/history`)).status).toBe(401);
    expect((await get(`${inspector.origin}/app.js`)).status).toBe(401);
    expect((await get(`${inspector.origin}/?token=${inspector.token}x`)).status).toBe(401);
    const page = await get(inspector.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('/app.js?token=');
    expect((await get(`${inspector.origin}/app.js?token=${inspector.token}`)).status).toBe(200);
  });

  it('matches a given launch token exactly: a prefix, an extension or another case gets 401', async () => {
    const token = 'given-token-0123456789abcdef';
    const inspector = await start({ tracker: createTracker() }, { token });
    expect(inspector.url).toBe(`${inspector.origin}/?token=${token}`);
    expect((await get(inspector.url)).status).toBe(200);
    for (const other of [token.slice(0, -1), `${token}f`, token.toUpperCase(), '']) {
      expect((await get(`${inspector.origin}/?token=${other}`)).status, other).toBe(401);
    }
  });

  it('refuses a launch token under 22 characters, the empty one included (regression: { token: "" } was taken, and /?token= opened every route)', async () => {
    for (const token of ['', 'short', 'x'.repeat(21), 1234567890 as never]) {
      const starting = createInspector({ tracker: createTracker() }, { token });
      await expect(starting).rejects.toBeInstanceOf(InspectorError);
      await expect(starting).rejects.toBeInstanceOf(ToolflightError);
      await expect(starting).rejects.toMatchObject({ code: 'weak_token' });
      await expect(starting).rejects.toThrow(
        /^the launch token guards every route of the inspector and must be at least 22 characters \(16 random bytes in base64url\), got (\d+ characters|number): leave token out to mint one/,
      );
    }
    const inspector = await start({ tracker: createTracker() }, { token: 'x'.repeat(22) });
    expect((await get(inspector.url)).status).toBe(200);
    expect((await get(`${inspector.origin}/?token=`)).status).toBe(401);
  });

  it('URL-encodes the launch token in the printed URL (regression: a token with & or # printed a URL that did not open)', async () => {
    const token = 'a+b&c=d#e%f g/h?i\u00e9-0123456789';
    const inspector = await start({ tracker: createTracker() }, { token });
    expect(inspector.url).toBe(`${inspector.origin}/?token=${encodeURIComponent(token)}`);
    expect(new URL(inspector.url).searchParams.get('token')).toBe(token);
    const page = await get(inspector.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`/app.js?token=${encodeURIComponent(token)}`);
  });

  it('refuses a page of a foreign Origin (403), even with the token', async () => {
    const inspector = await start({ tracker: createTracker() });
    const foreign = await get(inspector.url, { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const otherLocal = await get(inspector.url, { Origin: 'http://127.0.0.1:1' });
    expect(otherLocal.status).toBe(403);
    expect((await get(inspector.url, { Origin: inspector.origin })).status).toBe(200);
  });

  it('refuses a Host that is not this server (DNS rebinding): 403', async () => {
    const inspector = await start({ tracker: createTracker() });
    const rebound = await get(inspector.url, { Host: `evil.example:${inspector.port}` });
    expect(rebound.status).toBe(403);
    const local = await get(inspector.url, { Host: `localhost:${inspector.port}` });
    expect(local.status).toBe(200);
  });
});

describe('inspector server: where it listens', () => {
  it('refuses to bind a host that is not loopback, naming the hosts to pass instead (regression: host 0.0.0.0 bound every interface)', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      const starting = createInspector({ tracker: createTracker() }, { host });
      await expect(starting).rejects.toBeInstanceOf(ToolflightError);
      await expect(starting).rejects.toMatchObject({ code: 'non_loopback_host' });
      await expect(starting).rejects.toThrow(
        `the inspector binds loopback only, not ${JSON.stringify(host)}: pass host "127.0.0.1" (the default), "localhost" or "::1"`,
      );
    }
  });

  it('binds 127.0.0.1 for localhost, and answers to both names', async () => {
    const inspector = await start({ tracker: createTracker() }, { host: 'localhost' });
    expect(inspector.origin).toBe(`http://127.0.0.1:${inspector.port}`);
    expect((await get(inspector.url)).status).toBe(200);
    const byName = await get(inspector.url, { Host: `localhost:${inspector.port}` });
    expect(byName.status).toBe(200);
  });

  it('binds ::1 when asked, and answers to [::1] and localhost only', async () => {
    const inspector = await start({ tracker: createTracker() }, { host: '::1' });
    expect(inspector.origin).toBe(`http://[::1]:${inspector.port}`);
    expect((await get(inspector.url)).status).toBe(200);
    const v4Name = await get(inspector.url, { Host: `127.0.0.1:${inspector.port}` });
    expect(v4Name.status).toBe(403);
    const byName = await get(inspector.url, { Host: `localhost:${inspector.port}` });
    expect(byName.status).toBe(200);
  });
});

describe('inspector server: the event stream', () => {
  it('streams the history (batched, each message id its last seq), then each live event', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    traffic(tracker, 2);
    const inspector = await start({ tracker });
    const stream = await sse(`${inspector.origin}/events?token=${inspector.token}`);
    await stream.until((frame) => frame.event === 'live');
    expect(seqs(stream)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The history came as one message whose id is its last seq.
    expect(stream.frames.filter((frame) => frame.event === 'message').map((f) => f.id)).toEqual([
      '7',
    ]);
    traffic(tracker, 1);
    await stream.until((frame) => frame.id === '10');
    expect(seqs(stream)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('resumes after a reconnect with Last-Event-ID: no gap, no duplicate', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    traffic(tracker, 5);
    const inspector = await start({ tracker });
    const url = `${inspector.origin}/events?token=${inspector.token}`;
    const first = await sse(url);
    traffic(tracker, 1);
    await first.until((frame) => frame.id === '19');
    first.close();
    const seen = seqs(first);
    // Events appended while the page is away.
    traffic(tracker, 3);
    const second = await sse(url, { 'Last-Event-ID': String(seen[seen.length - 1]) });
    traffic(tracker, 2); // and while it catches up
    const last = tracker.store.lastSeq();
    await second.until((frame) => frame.id === String(last));
    const all = [...seen, ...seqs(second)];
    expect(all).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(second.frames.some((frame) => frame.event === 'gap')).toBe(false);
  });

  it('says so with a gap event when the kept history starts after the resume point', async () => {
    const tracker = createTracker({ store: createMemoryStore({ retain: 5 }) });
    tracker.beginCapture('run-1');
    traffic(tracker, 4);
    const inspector = await start({ tracker });
    const stream = await sse(`${inspector.origin}/events?token=${inspector.token}`, {
      'Last-Event-ID': '2',
    });
    await stream.until((frame) => frame.event === 'live');
    expect(stream.frames.find((frame) => frame.event === 'gap')?.data).toBe('2');
    expect(seqs(stream)).toEqual([9, 10, 11, 12, 13]);
  });

  it('follows a JSONL recording another process is still writing', async () => {
    const source = createTracker({ store: createMemoryStore() });
    source.beginCapture('run-1');
    traffic(source, 1);
    const events = [...source.store.read()];
    const file = join(mkdtempSync(join(tmpdir(), 'toolflight-follow-')), 'run.jsonl');
    writeFileSync(
      file,
      events
        .slice(0, 2)
        .map((e) => `${encodeEvent(e)}\n`)
        .join(''),
    );
    const inspector = await start({ recording: file, follow: true });
    const stream = await sse(`${inspector.origin}/events?token=${inspector.token}`);
    await stream.until((frame) => frame.event === 'live');
    expect(seqs(stream)).toEqual([1, 2]);
    // Half a line, then the rest: only whole lines become events.
    const rest = events
      .slice(2)
      .map((e) => `${encodeEvent(e)}\n`)
      .join('');
    appendFileSync(file, rest.slice(0, 10));
    appendFileSync(file, rest.slice(10));
    await stream.until((frame) => frame.id === String(events.length));
    expect(seqs(stream)).toEqual(events.map((event) => event.seq));
  });
});

describe('recordingFeed', () => {
  it('sees a line appended right after it began following (regression: a change made before the file watcher took its first look was never seen)', async () => {
    const source = createTracker({ store: createMemoryStore() });
    source.beginCapture('run-1');
    traffic(source, 1);
    const [first, second] = [...source.store.read()];
    const file = join(mkdtempSync(join(tmpdir(), 'toolflight-follow-')), 'run.jsonl');
    writeFileSync(file, `${encodeEvent(first!)}\n`);
    const feed = recordingFeed(file, { follow: true, pollMs: 10 });
    open.push(feed);
    const seen = new Promise<number>((resolve) => feed.subscribe((event) => resolve(event.seq)));
    // Synchronously, before any stat the feed might take off this thread has completed.
    appendFileSync(file, `${encodeEvent(second!)}\n`);
    await expect(seen).resolves.toBe(2);
    expect([...feed.history(0)].map((event) => event.seq)).toEqual([1, 2]);
  });
});

describe('maskSecrets', () => {
  it('hides the values of secret-looking keys at any depth and leaves the rest', () => {
    const args = {
      to: '#ops',
      apiKey: 'sk-1',
      headers: { Authorization: 'Bearer x', accept: 'json' },
      list: [{ password: 'p', user: 'u' }],
      access_token: 't',
      client_secret: 's',
    };
    expect(maskSecrets(args)).toEqual({
      to: '#ops',
      apiKey: '••••••',
      headers: { Authorization: '••••••', accept: 'json' },
      list: [{ password: '••••••', user: 'u' }],
      access_token: '••••••',
      client_secret: '••••••',
    });
    expect(args.apiKey).toBe('sk-1');
  });
});
