// `/matches`: the timeline's filters over a whole recording, for a page holding a window of it.
// The server's answers are checked against a reference computed here from the events alone,
// and its query against malformed, oversized and hostile input.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { createMemoryStore, createTracker, encodeEvent, sequentialIds } from '../../src/index.js';
import type { ToolflightEvent } from '../../src/events/types.js';
import { createInspector } from '../../src/inspector/index.js';
import { recordingFeed } from '../../src/inspector/eventFeed.js';
import { MAX_MATCH_ROWS, matchesQuery, type LogMatches } from '../../src/inspector/logMatches.js';
import { LogWindows, windowBody } from '../../src/inspector/logWindows.js';
import {
  matchesParams,
  readMatches,
  MatchesError,
} from '../../src/inspector/page/remoteMatches.js';
import type { TimelineFilter } from '../../src/inspector/page/timelineFilter.js';
import { none, reference } from './matchReference.js';
import { get } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'toolflight-matches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTCOMES = ['completed', 'failed', 'timed_out', 'blocked', 'cancelled'] as const;

/** Tool calls of three tools in two captures; outcomes vary, some calls take long, a token in the args. */
function recording(calls: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => now });
  tracker.beginCapture('alpha');
  tracker.beginCapture('beta');
  for (let i = 0; i < calls; i++) {
    const key = i % 2 ? 'alpha' : 'beta';
    const request = tracker.requestStarted(key)!;
    tracker.requestClassified(request, { method: 'tools/call' });
    const call = tracker.toolCallStarted({
      request,
      toolName: ['search', 'deploy', 'send'][i % 3]!,
      args: { query: `q${i}`, token: 'hunter2-secret' },
    });
    now += i % 4 === 0 ? 1_500 : 10;
    const outcome = i % 7 ? 'completed' : OUTCOMES[(i / 7) % OUTCOMES.length]!;
    tracker.toolCallResult(call, { outcome, isError: outcome !== 'completed' });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: i % 13 === 5 ? 503 : 200 });
  }
  return [...store.read()];
}

/** Write events as a JSONL recording in the test's directory. */
function write(name: string, events: readonly ToolflightEvent[]): string {
  const path = join(dir, name);
  writeFileSync(path, events.map((event) => `${encodeEvent(event)}\n`).join(''));
  return path;
}

const EVENTS = recording(600);
const file = write('run.jsonl', EVENTS);

/** The query of a filter, a position and a page of rows. */
const query = (filter: Partial<TimelineFilter>, before: number, from = 0, count = 0) => {
  const params = matchesParams({ ...none, ...filter });
  params.set('before', String(before));
  params.set('from', String(from));
  params.set('count', String(count));
  return params;
};

describe('LogMatches: the filters over a whole recording', () => {
  const windows = new LogWindows(recordingFeed(file), 100);
  windows.prepare();
  const ask = async (filter: Partial<TimelineFilter>, before: number, from = 0, count = 0) => {
    const parsed = matchesQuery(query(filter, before, from, count));
    if (typeof parsed === 'string') throw new Error(parsed);
    return readMatches(windowBody((await windows.matches(parsed))!));
  };

  const filters: [string, Partial<TimelineFilter>][] = [
    ['an outcome', { outcome: 'timed_out' }],
    ['any failure', { outcome: 'failure' }],
    ['a tool', { tool: 'deploy' }],
    ['a type and a capture', { type: 'toolCall.result', capture: 'alpha' }],
    ['a duration', { slower: '1000' }],
    ['a tool, an outcome and a duration', { tool: 'search', outcome: 'failure', slower: '1000' }],
    ['a search', { search: 'q12' }],
  ];
  it.each(filters)('counts and lists what the reference finds, for %s', async (_, filter) => {
    const expected = reference(EVENTS, { ...none, ...filter });
    expect(expected.length).toBeGreaterThan(0);
    for (const before of [0, 1, 250, EVENTS.length - 1, EVENTS.length]) {
      const { header } = await ask(filter, before);
      expect(header.total).toBe(expected.length);
      expect(header.below).toBe(expected.filter((index) => index < before).length);
    }
    const { header, rows } = await ask(filter, EVENTS.length, 3, 40);
    expect(header.indexes).toEqual(expected.slice(3, 43));
    expect(rows.map((row) => row.event.seq)).toEqual(
      expected.slice(3, 43).map((i) => EVENTS[i]!.seq),
    );
  });

  it('does not find a secret the page never shows (the search looks at masked events)', async () => {
    expect((await ask({ search: 'hunter2' }, EVENTS.length)).header.total).toBe(0);
    expect((await ask({ search: 'q1' }, EVENTS.length)).header.total).toBeGreaterThan(0);
  });

  it('asks nothing of a filter it has not seen and finds nothing for a name the log lacks', async () => {
    expect((await ask({ tool: 'no-such-tool' }, EVENTS.length)).header.total).toBe(0);
    const beyond = await ask({ tool: 'send' }, EVENTS.length, 10_000, 10);
    expect(beyond.rows).toEqual([]);
  });

  it('gives a window of a longer log the whole log names to filter by', () => {
    // 100 events of 600: the window's own have only some of the names.
    expect(windows.window({ at: 50 }).header.choices).toEqual({
      types: [...new Set(EVENTS.map((e) => e.type))].sort(),
      tools: ['deploy', 'search', 'send'],
      captures: ['alpha', 'beta'],
    });
  });
});

describe('LogMatches: a scan nobody waits for', () => {
  it('stops when its asker went away, and the next query of the filter goes on from there', async () => {
    const events = recording(8_000);
    expect(events.length).toBeGreaterThan(40_000); // three slices of a scan, of 20,000 each
    const windows = new LogWindows(recordingFeed(write('long.jsonl', events)), 100);
    windows.prepare();
    const parsed = matchesQuery(query({ search: 'q7' }, events.length, 0, 10));
    if (typeof parsed === 'string') throw new Error(parsed);
    const matches = (windows as unknown as { matchesOf: LogMatches }).matchesOf;
    let turns = 0;
    const turn = () => {
      turns += 1;
      return Promise.resolve();
    };
    // Gone after the first slice: no answer, and the scan stopped there.
    expect(await matches.answer(parsed, turn, () => true)).toBeUndefined();
    expect(turns).toBe(1);
    const answer = await matches.answer(parsed, turn);
    // One more turn finishes it: the first slice was not scanned again.
    expect(turns).toBe(2);
    expect(answer!.header.total).toBe(reference(events, { ...none, search: 'q7' }).length);
  });
});

describe('matchesQuery: what /matches refuses', () => {
  const bad: [string, string, RegExp][] = [
    ['no position', 'outcome=failed', /before is needed/],
    ['no first rank', 'before=3', /from is needed/],
    ['a position that is not a number', 'before=-1&from=0', /before must be a whole number/],
    ['a huge position', `before=${'9'.repeat(17)}&from=0`, /before must be a whole number/],
    ['too many rows', `before=1&from=0&count=${MAX_MATCH_ROWS + 1}`, /count is at most 500/],
    ['an unknown outcome', 'before=1&from=0&outcome=exploded', /outcome must be one of/],
    ['a duration that is not a number', 'before=1&from=0&slower=1e3', /slower must be a whole/],
    ['an over-long search', `before=1&from=0&q=${'x'.repeat(501)}`, /q is longer than 500/],
    ['a name it does not take', 'before=1&from=0&sort=desc', /not "sort"/],
    ['a parameter twice', 'before=1&from=0&tool=a&tool=b', /tool is given twice/],
  ];
  it.each(bad)('refuses %s', (_, text, message) => {
    const parsed = matchesQuery(new URLSearchParams(text));
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(message);
  });

  it('takes the filter names of the permalink', () => {
    expect(
      matchesQuery(new URLSearchParams('before=5&from=2&count=3&q=Deploy&slower=100')),
    ).toEqual({
      filter: { ...none, search: 'Deploy', slower: '100' },
      before: 5,
      from: 2,
      count: 3,
    });
  });
});

describe('readMatches: what the page refuses of an answer', () => {
  const line = encodeEvent(EVENTS[0]!);
  const header = { total: 3, below: 1, before: 1, from: 0, generation: 1, indexes: [0] };
  const bad: [string, string][] = [
    ['no header', ''],
    ['a header that is not JSON', '{"total":'],
    ['more below than in all', `${JSON.stringify({ ...header, below: 4 })}\n${line}`],
    ['rows past the total', `${JSON.stringify({ ...header, from: 3 })}\n${line}`],
    ['fewer rows than indexes', JSON.stringify(header)],
    ['indexes that go back', `${JSON.stringify({ ...header, indexes: [2, 1] })}\n${line}\n${line}`],
  ];
  it.each(bad)('refuses %s', (_, body) => {
    expect(() => readMatches(body)).toThrow(MatchesError);
  });
});

describe('/matches over HTTP', () => {
  it('answers a recording, refuses a bad query with 400, and a tracker with 404', async () => {
    const inspector = await createInspector({ recording: file }, { windowEvents: 100 });
    const tracker = createTracker({ store: createMemoryStore() });
    const live = await createInspector({ tracker });
    try {
      const url = (server: typeof inspector, params: string) =>
        `${server.origin}/matches?token=${server.token}&${params}`;
      const ok = await get(url(inspector, 'outcome=failure&before=600000&from=0&count=5'));
      expect(ok.status).toBe(200);
      const expected = reference(EVENTS, { ...none, outcome: 'failure' });
      expect(readMatches(ok.body).header).toMatchObject({
        total: expected.length,
        below: expected.length,
        indexes: expected.slice(0, 5),
      });
      const badQuery = await get(url(inspector, 'before=x&from=0'));
      expect(badQuery.status).toBe(400);
      expect(badQuery.body).toMatch(/before must be a whole number/);
      const noToken = await get(`${inspector.origin}/matches?before=1&from=0`);
      expect(noToken.status).toBe(401);
      const fromTracker = await get(url(live, 'before=1&from=0'));
      expect(fromTracker.status).toBe(404);
      expect(fromTracker.body).toMatch(/filters a recording/);
    } finally {
      await inspector.close();
      await live.close();
    }
  });

  it('keeps up with a followed recording: an entity settling later scans it again', async () => {
    const followed = join(dir, 'followed.jsonl');
    const cut = EVENTS.findIndex((e, i) => i > 200 && e.type === 'toolCall.started');
    const lines = (events: readonly ToolflightEvent[]) =>
      events.map((e) => `${encodeEvent(e)}\n`).join('');
    writeFileSync(followed, lines(EVENTS.slice(0, cut + 1)));
    vi.useFakeTimers({ toFake: ['setInterval'] });
    const feed = recordingFeed(followed, { follow: true, pollMs: 100 });
    try {
      const windows = new LogWindows(feed, 100);
      windows.prepare();
      const completed = { ...none, outcome: 'completed' };
      const ask = async () => {
        const parsed = matchesQuery(query(completed, 10_000, 0, MAX_MATCH_ROWS));
        if (typeof parsed === 'string') throw new Error(parsed);
        return readMatches(windowBody((await windows.matches(parsed))!)).header;
      };
      const first = await ask();
      expect(first.total).toBe(reference(EVENTS.slice(0, cut + 1), completed).length);
      appendFileSync(followed, lines(EVENTS.slice(cut + 1)));
      vi.advanceTimersByTime(100); // the feed's poll reads what was appended
      const again = await ask();
      const expected = reference(EVENTS, completed);
      expect(again.total).toBe(expected.length);
      expect(again.indexes).toEqual(expected.slice(0, MAX_MATCH_ROWS));
      // The call open at the cut settled: the ranks held of the first scan no longer hold.
      expect(again.generation).toBeGreaterThan(first.generation);
    } finally {
      feed.close();
      vi.useRealTimers();
    }
  });
});
