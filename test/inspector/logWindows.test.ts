// Windows of a recording: a page that holds one window (its context, its events, the projection
// at its start) sees at every position it holds what a page holding the whole log sees.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, encodeEvent, sequentialIds } from '../../src/index.js';
import type { ToolflightEvent } from '../../src/events/types.js';
import { createInspector, InspectorError, type Inspector } from '../../src/inspector/index.js';
import { recordingFeed } from '../../src/inspector/eventFeed.js';
import { LogWindows, windowBody } from '../../src/inspector/logWindows.js';
import { EventLog } from '../../src/inspector/page/eventLog.js';
import {
  globalOf,
  holdWindow,
  localOf,
  readWindow,
  WindowError,
} from '../../src/inspector/page/logWindow.js';
import { ProjectionCursor } from '../../src/inspector/page/projectionCursor.js';
import { evolveCaptures, initialCapturesState } from '../../src/projections/captures.js';
import {
  capturesStateFromJson,
  capturesStateToJson,
  CapturesJsonError,
} from '../../src/projections/capturesJson.js';
import { snapshotCaptures } from '../../src/projections/snapshot.js';
import { busyLog } from './busyLog.js';
import { get } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'toolflight-windows-'));

/** `busyLog`, plus tool calls prepared, failed and left open, and outbox events. */
function richLog(calls: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => (now += 7) });
  const open: ReturnType<typeof tracker.toolCallStarted>[] = [];
  for (let i = 0; i < calls; i++) {
    const key = `cap-${i % 4}`;
    if (i % 60 === 0) tracker.beginCapture(key);
    if (i % 131 === 70) tracker.clearCapture(`cap-${(i + 1) % 4}`);
    const request = tracker.requestStarted(key);
    if (request === undefined) continue;
    tracker.requestClassified(request, { method: i % 2 ? 'tools/call' : 'tools/list' });
    const call = tracker.toolCallStarted({ request, toolName: `t${i % 3}`, args: { i } });
    if (i % 3 === 0) tracker.toolCallPrepared(call, { args: { i, prepared: true } });
    // Every seventh call stays open for a long time: windows start in the middle of it.
    if (i % 7 === 0) open.push(call);
    else {
      const failed = i % 11 === 0;
      tracker.toolCallResult(call, { outcome: failed ? 'failed' : 'completed', isError: failed });
      tracker.toolCallFinished(call);
    }
    tracker.requestFinished(request, { status: i % 13 === 0 ? 500 : 200 });
    while (open.length > 6) {
      const done = open.shift()!;
      tracker.toolCallResult(done, { outcome: 'timed_out', isError: true });
      tracker.toolCallFinished(done);
    }
  }
  return [...store.read()];
}

function write(name: string, events: readonly ToolflightEvent[]): string {
  const file = join(dir, name);
  writeFileSync(file, events.map((event) => `${encodeEvent(event)}\n`).join(''));
  return file;
}

const rich = richLog(2500);
const fullLog = new EventLog();
for (const event of rich) fullLog.append(event);

function foldTo(events: readonly ToolflightEvent[], count: number) {
  const state = initialCapturesState();
  for (let i = 0; i < count; i++) evolveCaptures(state, events[i]!);
  return snapshotCaptures(state);
}

/** A page's log and projection holding the window the server cuts around `at`. */
function pageHolding(windows: LogWindows, at: number | undefined) {
  const body = windowBody(windows.window(at === undefined ? undefined : { at }));
  const window = readWindow(body);
  const log = new EventLog();
  const projection = new ProjectionCursor(log, 64);
  const span = holdWindow(log, projection, window);
  return { header: window.header, log, projection, span };
}

/** What the views read of the whole log at a position, from a page's log at its count. */
function seen(log: EventLog, count: number) {
  const generations = [...log.generations.values()]
    .filter((g) => g.begun < count)
    .map((g) => {
      const activity = g.activity.filter((index) => index < count);
      const last = activity[activity.length - 1] ?? g.begun;
      return { key: g.key, gen: g.gen, quietSince: log.events[last]!.at };
    });
  return { generations };
}

describe('LogWindows: a window read by the page', () => {
  const windows = new LogWindows(recordingFeed(write('rich.jsonl', rich)), 150);

  it('folds to the straight fold at every position it holds, and the views read the same generations and live entities', () => {
    expect(rich.length).toBeGreaterThan(3000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rich.length }), fc.nat(150), (at, offset) => {
        const { header, log, projection, span } = pageHolding(windows, at);
        expect(header.end - header.start).toBe(150);
        expect(header.start).toBeLessThanOrEqual(at);
        expect(header.end).toBeGreaterThanOrEqual(Math.min(at, rich.length));
        const position = Math.min(header.end, header.start + offset);
        const count = localOf(span, log, position)!;
        expect(globalOf(span, count)).toBe(position);
        expect(projection.at(count)).toEqual(foldTo(rich, position));
        expect(seen(log, count)).toEqual(seen(fullLog, position));
        // Every entity live at the position is read as the whole log reads it.
        for (const capture of foldTo(rich, position).captures) {
          for (const { id } of [...capture.requests, ...capture.toolCalls]) {
            const entity = log.entities.get(id)!;
            expect(log.entityAt(entity, count)).toEqual(
              fullLog.entityAt(fullLog.entities.get(id)!, position),
            );
          }
        }
      }),
      { numRuns: 60, seed: 18 },
    );
  });

  it('places the window around the position, at the end by default, by seq on request', () => {
    const end = pageHolding(windows, undefined);
    expect(end.header).toMatchObject({ total: rich.length, end: rich.length });
    expect(end.span.atEnd).toBe(true);
    expect(pageHolding(windows, 0).header).toMatchObject({ start: 0, context: 0, base: null });
    const middle = windows.window({ at: 2000 }).header;
    expect([middle.start, middle.end]).toEqual([1925, 2075]);
    const seq = rich[2999]!.seq;
    const bySeq = windows.window({ seq }).header;
    expect(bySeq.start).toBeLessThanOrEqual(2999);
    expect(bySeq.end).toBeGreaterThan(2999);
    // Past the end is the end.
    expect(windows.window({ at: 10 ** 9 }).header.end).toBe(rich.length);
  });

  it('sends the outbox events of the whole log before the window, with their own kind of context', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store, ids: sequentialIds(), clock: () => 1 });
    tracker.beginCapture('run');
    tracker.note('outbox.enqueued', { key: 'w-1', tool: 'save' });
    for (let i = 0; i < 300; i++) {
      const call = tracker.toolCallStarted({ capture: 'run', toolName: 'x', args: {} });
      tracker.toolCallResult(call, { outcome: 'completed', isError: false });
      tracker.toolCallFinished(call);
    }
    const events = [...store.read()];
    const outbox = events.filter((event) => event.type.startsWith('outbox.'));
    expect(outbox).toHaveLength(1);
    const page = pageHolding(
      new LogWindows(recordingFeed(write('outbox.jsonl', events)), 100),
      undefined,
    );
    expect(page.log.events.slice(0, page.span.context).map((e) => e.type)).toContain(
      'outbox.enqueued',
    );
  });
});

/** `encodeEvent`, counting its calls in `count`. */
function countingEncoder(): ((event: ToolflightEvent) => string) & { count: number } {
  const encode = Object.assign(
    (event: ToolflightEvent) => {
      encode.count += 1;
      return encodeEvent(event);
    },
    { count: 0 },
  );
  return encode;
}

describe('LogWindows: what a recording costs the server', () => {
  it('encodes a window when it is asked for, not the recording when it is read (regression: a 1M-event recording was encoded whole at start, 1.3 s of its 7 s and a quarter of its heap)', () => {
    const encoder = countingEncoder();
    const windows = new LogWindows(recordingFeed(write('lazy.jsonl', rich)), 150, 20_000, encoder);
    const encoded = () => encoder.count;
    expect(encoded()).toBe(0);
    // The end's window is cut at start (`prepare`), the one every page asks for first, and
    // served as it was until the log grows.
    windows.prepare();
    const prepared = encoded();
    expect(prepared).toBeGreaterThanOrEqual(150);
    expect(prepared).toBeLessThan(rich.length / 4);
    windows.window(undefined);
    expect(encoded()).toBe(prepared);
    // Another window encodes its own events.
    windows.window({ at: 1_000 });
    expect(encoded() - prepared).toBeGreaterThanOrEqual(150);
  });

  it('does not keep the lines of the windows it sent (regression: kept for every event, they made the server scavenges at 1M 7 times longer)', () => {
    const encoder = countingEncoder();
    const windows = new LogWindows(
      recordingFeed(write('unkept.jsonl', rich)),
      150,
      20_000,
      encoder,
    );
    windows.prepare();
    const first = windows.window({ at: 1_000 });
    const once = encoder.count;
    const again = windows.window({ at: 1_000 });
    // Encoded anew, to the same lines: nothing of the first was kept.
    expect(encoder.count).toBeGreaterThan(once);
    expect(again.lines).toEqual(first.lines);
  });
});

describe('LogWindows: the overview of the whole log', () => {
  /** The chart's series folded here: in flight after each event, one stretch at a time. */
  function foldOverview(events: readonly ToolflightEvent[], buckets: number) {
    const t0 = events[0]!.at;
    const t1 = events[events.length - 1]!.at;
    const bucketOf = (at: number) =>
      Math.min(buckets - 1, Math.floor(((at - t0) / (t1 - t0)) * buckets));
    const levels: number[] = [];
    let level = 0;
    for (const event of events) {
      if (event.type === 'request.started' || event.type === 'toolCall.started') level++;
      if (event.type === 'request.finished' || event.type === 'toolCall.finished') level--;
      levels.push(level);
    }
    const max: number[] = [];
    const first: number[] = [];
    for (let b = 0; b < buckets; b++) {
      const inside = events.flatMap((event, i) => (bucketOf(event.at) === b ? [i] : []));
      const before = events.findLastIndex((event) => bucketOf(event.at) < b);
      const carried = before === -1 ? 0 : levels[before]!;
      max.push(Math.max(carried, ...inside.map((i) => levels[i]!)));
      first.push(inside[0] ?? -1);
    }
    return { t0, t1, max, first };
  }

  it('is the highest in flight of each stretch of time and its first event, carried over stretches without one', () => {
    // A quiet hour after event 2000: stretches without an event.
    const gapped = rich.map((event, i) => (i < 2000 ? event : { ...event, at: event.at + 3.6e6 }));
    const windows = new LogWindows(recordingFeed(write('overview.jsonl', gapped)), 150);
    const { overview } = windows.window({ at: 1000 }).header;
    expect(overview).toEqual(foldOverview(gapped, 1024));
    // The quiet stretches carry in the level of the last event before them.
    const quiet = overview!.first.indexOf(-1);
    expect(quiet).toBeGreaterThan(0);
    expect(overview!.max[quiet]).toBe(fullLog.inFlight[1999]);
    expect(Math.max(...overview!.max)).toBe(Math.max(...fullLog.inFlight));
    // Every window of the log carries the same one.
    expect(windows.window(undefined).header.overview).toEqual(overview);
  });

  it('is not sent with a window that holds the whole log', () => {
    const windows = new LogWindows(recordingFeed(write('whole.jsonl', rich.slice(0, 300))), 500);
    expect(windows.window(undefined).header.overview).toBeUndefined();
  });

  it('is made again once a followed recording grew', async () => {
    const grown = join(dir, 'overview-grown.jsonl');
    const lines = (events: readonly ToolflightEvent[]) =>
      events.map((e) => `${encodeEvent(e)}\n`).join('');
    writeFileSync(grown, lines(rich.slice(0, 1000)));
    const inspector = await createInspector(
      { recording: grown, follow: true },
      { windowEvents: 100 },
    );
    try {
      const url = `${inspector.origin}/window?token=${inspector.token}`;
      const before = readWindow((await get(url)).body).header.overview;
      expect(before).toEqual(foldOverview(rich.slice(0, 1000), 1024));
      writeFileSync(grown, lines(rich.slice(0, 2000)));
      await expect
        .poll(async () => readWindow((await get(url)).body).header.overview)
        .toEqual(foldOverview(rich.slice(0, 2000), 1024));
    } finally {
      await inspector.close();
    }
  });
});

describe('capturesStateToJson / capturesStateFromJson', () => {
  it('a state through JSON folds on exactly as the state itself', () => {
    const events = busyLog(400);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: events.length }), (cut) => {
        const state = initialCapturesState();
        for (let i = 0; i < cut; i++) evolveCaptures(state, events[i]!);
        const copy = capturesStateFromJson(JSON.parse(JSON.stringify(capturesStateToJson(state))));
        expect(snapshotCaptures(copy)).toEqual(snapshotCaptures(state));
        for (let i = cut; i < events.length; i++) {
          evolveCaptures(state, events[i]!);
          evolveCaptures(copy, events[i]!);
        }
        expect(snapshotCaptures(copy)).toEqual(snapshotCaptures(state));
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('refuses what it did not write, naming the part', () => {
    const good = capturesStateToJson(
      (() => {
        const state = initialCapturesState();
        for (const event of busyLog(30)) evolveCaptures(state, event);
        return state;
      })(),
    );
    const generation = good.generations[0]!;
    const bad: [unknown, RegExp][] = [
      [null, /seq and generations/],
      ['state', /seq and generations/],
      [{ seq: -1, generations: [] }, /seq and generations/],
      [{ ...good, generations: [{ ...generation, key: 5 }] }, /generations\[0\]: key/],
      [{ ...good, generations: [{ ...generation, inFlight: 'x' }] }, /inFlight/],
      [{ ...good, generations: [{ ...generation, entities: {} }] }, /entities must be a list/],
      [
        { ...good, generations: [{ ...generation, entities: [{ kind: 'toolCall', id: 'a' }] }] },
        /entities\[0\]: not an entity/,
      ],
      [{ ...good, byKey: [['nope', 999]] }, /byKey: .* names no generation/],
      [{ ...good, byKey: 'x' }, /byKey must be a list/],
    ];
    for (const [json, message] of bad) {
      expect(() => capturesStateFromJson(json)).toThrow(CapturesJsonError);
      expect(() => capturesStateFromJson(json)).toThrow(message);
    }
  });
});

describe('readWindow: a /window body the page cannot read', () => {
  const body = windowBody(
    new LogWindows(recordingFeed(write('small.jsonl', rich.slice(0, 500))), 100).window({
      at: 300,
    }),
  );
  const [head, ...lines] = body.split('\n');

  it('is refused with a WindowError that says what is wrong, not taken in part', () => {
    const header = JSON.parse(head!) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      ['', /no header/],
      ['{not json', /no header/],
      [`${JSON.stringify({ ...header, end: 10 ** 7 })}\n${lines.join('\n')}`, /does not describe/],
      [`${JSON.stringify({ ...header, start: -1 })}\n${lines.join('\n')}`, /does not describe/],
      [
        `${JSON.stringify({ ...header, start: 0 })}\n${lines.join('\n')}`,
        /does not describe|promised/,
      ],
      // Truncated: a line lost on the way.
      [`${head}\n${lines.slice(1).join('\n')}`, /promised \d+ events and holds/],
    ];
    for (const [text, message] of cases) expect(() => readWindow(text)).toThrow(message);
    expect(() => readWindow(`${head}\n${lines.slice(0, -2).join('\n')}\n{"seq":"x"}\n`)).toThrow();
  });

  it('refuses events that go back, and a base that is not a projection, before the page takes any of it', () => {
    const swapped = [...lines];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    expect(() => readWindow(`${head}\n${swapped.join('\n')}`)).toThrow(/must ascend/);
    const header = JSON.parse(head!) as Record<string, unknown>;
    const badBase = JSON.stringify({ ...header, base: { seq: 1, generations: 'x' } });
    expect(() => readWindow(`${badBase}\n${lines.join('\n')}`)).toThrow(WindowError);
    expect(() => readWindow(`${badBase}\n${lines.join('\n')}`)).toThrow(/base is not a projection/);
    const noCounts = JSON.stringify({ ...header, failures: -1 });
    expect(() => readWindow(`${noCounts}\n${lines.join('\n')}`)).toThrow(/does not describe/);
  });

  it('refuses an overview that is not one: the chart would draw or jump to it', () => {
    const header = JSON.parse(head!) as Record<string, unknown>;
    const good = { t0: 0, t1: 10, max: [1, 2], first: [0, -1] };
    expect(
      readWindow(`${JSON.stringify({ ...header, overview: good })}\n${lines.join('\n')}`),
    ).toBeTruthy();
    for (const overview of [
      null,
      'x',
      { ...good, t1: 0 },
      { ...good, t0: 'x' },
      { ...good, max: [1, -2] },
      { ...good, max: [1, 2.5] },
      { ...good, first: [0] },
      { ...good, first: [0, 10 ** 9] },
      { ...good, first: [0, -2] },
      { ...good, max: [], first: [] },
      { ...good, max: new Array(5000).fill(0), first: new Array(5000).fill(-1) },
    ]) {
      expect(() =>
        readWindow(`${JSON.stringify({ ...header, overview })}\n${lines.join('\n')}`),
      ).toThrow(/overview that is not one/);
    }
  });

  it('carries the server window size, which the page holds to while following, and refuses a size that is not one', () => {
    const header = JSON.parse(head!) as Record<string, unknown>;
    expect(header.size).toBe(100);
    expect(readWindow(body).header.size).toBe(100);
    for (const size of [0, -1, 2.5, 'x', null]) {
      expect(() =>
        readWindow(`${JSON.stringify({ ...header, size })}\n${lines.join('\n')}`),
      ).toThrow(/size that is not a count/);
    }
  });
});

describe('inspector server: /window', () => {
  const open: Inspector[] = [];
  afterEach(async () => {
    for (const inspector of open.splice(0)) await inspector.close();
  });
  const start = async (...args: Parameters<typeof createInspector>) => {
    const inspector = await createInspector(...args);
    open.push(inspector);
    return inspector;
  };
  const file = write('route.jsonl', rich);
  const windowUrl = (inspector: Inspector, query = '') =>
    `${inspector.origin}/window?token=${inspector.token}${query}`;

  it('answers a window of windowEvents events around at or seq, the end by default', async () => {
    const inspector = await start({ recording: file }, { windowEvents: 500 });
    const end = await get(windowUrl(inspector));
    expect(end.status).toBe(200);
    expect(readWindow(end.body).header).toMatchObject({
      total: rich.length,
      start: rich.length - 500,
      end: rich.length,
      lastSeq: rich[rich.length - 1]!.seq,
    });
    const at = readWindow((await get(windowUrl(inspector, '&at=1000'))).body).header;
    expect([at.start, at.end]).toEqual([750, 1250]);
    const bySeq = readWindow((await get(windowUrl(inspector, `&seq=${rich[99]!.seq}`))).body);
    expect(bySeq.header.start).toBe(0);
    expect(bySeq.events[99]).toEqual(rich[99]);
  });

  it('refuses a bad at or seq with a 400 that names it, and still serves the next request', async () => {
    const inspector = await start({ recording: file });
    for (const [query, name] of [
      ['&at=-1', 'at'],
      ['&at=1.5', 'at'],
      ['&at=abc', 'at'],
      ['&at=', 'at'],
      ['&seq=99999999999999999999', 'seq'],
      ['&seq=1e3', 'seq'],
    ] as const) {
      const answer = await get(windowUrl(inspector, query));
      expect(answer.status, query).toBe(400);
      expect(answer.body).toContain(`${name} must be a whole number`);
    }
    expect((await get(windowUrl(inspector, '&at=1&seq=2'))).body).toContain('not both');
    expect((await get(windowUrl(inspector, '&at=10'))).status).toBe(200);
  });

  it('needs the launch token like every route (401)', async () => {
    const inspector = await start({ recording: file });
    expect((await get(`${inspector.origin}/window`)).status).toBe(401);
    expect((await get(`${inspector.origin}/window?token=${inspector.token}x`)).status).toBe(401);
  });

  it("sends a live tracker's kept history whole, as one window from the start", async () => {
    const tracker = createTracker();
    for (let i = 0; i < 5; i++) {
      const call = tracker.toolCallStarted({ capture: 'run', toolName: 'x', args: {} });
      tracker.toolCallFinished(call);
    }
    const inspector = await start({ tracker }, { windowEvents: 100 });
    const { header, events } = readWindow((await get(windowUrl(inspector))).body);
    expect(header).toMatchObject({ start: 0, context: 0, base: null, total: events.length });
    expect(events.map((e) => e.seq)).toEqual([...tracker.store.read()].map((e) => e.seq));
  });

  it('refuses a windowEvents option out of range (invalid_option)', async () => {
    for (const windowEvents of [0, 99, 1_000_001, 1.5, '500' as never]) {
      await expect(createInspector({ recording: file }, { windowEvents })).rejects.toThrow(
        InspectorError,
      );
    }
  });

  it('indexes a followed recording as it grows', async () => {
    const grown = join(dir, 'grown.jsonl');
    writeFileSync(
      grown,
      rich
        .slice(0, 200)
        .map((e) => `${encodeEvent(e)}\n`)
        .join(''),
    );
    const inspector = await start({ recording: grown, follow: true }, { windowEvents: 100 });
    expect(readWindow((await get(windowUrl(inspector))).body).header.total).toBe(200);
    writeFileSync(
      grown,
      rich
        .slice(0, 400)
        .map((e) => `${encodeEvent(e)}\n`)
        .join(''),
    );
    await expect
      .poll(async () => readWindow((await get(windowUrl(inspector))).body).header.total)
      .toBe(400);
  });
});
