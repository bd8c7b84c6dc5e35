import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  replay,
  type ToolflightEvent,
} from '../../src/index.js';
import { readRecording, type RecordingProblem } from '../../src/store/index.js';
import { interleavedRun } from '../support/script.js';

const dir = () => mkdtempSync(join(tmpdir(), 'toolflight-bad-'));

function recorded(calls = 5): ToolflightEvent[] {
  const store = createMemoryStore();
  interleavedRun(createTracker({ store }), { captures: 1, calls, seed: 9 });
  return store.events();
}

function fileOf(lines: readonly string[], name = 'run.jsonl'): string {
  const path = join(dir(), name);
  writeFileSync(path, lines.join(''));
  return path;
}

function readAll(path: string): { events: ToolflightEvent[]; problems: RecordingProblem[] } {
  const problems: RecordingProblem[] = [];
  const events = [...readRecording(path, { onProblem: (p) => problems.push(p) })];
  return { events, problems };
}

describe('bad recordings', () => {
  it('reports a truncated last line and keeps every earlier event', () => {
    const events = recorded();
    const lines = events.map((e) => `${encodeEvent(e)}\n`);
    const cut = lines.at(-1)!.slice(0, 25);
    const path = fileOf([...lines.slice(0, -1), cut]);
    const { events: read, problems } = readAll(path);
    expect(read).toEqual(events.slice(0, -1));
    expect(problems).toEqual([
      expect.objectContaining({ code: 'truncated', line: events.length, source: path }),
    ]);
    expect(problems[0]!.message).toMatch(
      new RegExp(`run\\.jsonl:${events.length}: the last line is unfinished`),
    );
  });

  it('throws the problem, naming file and line, when no one collects problems', () => {
    const path = fileOf(['{"v":1,', '\n']);
    expect(() => [...readRecording(path)]).toThrow(/run\.jsonl:1: not a JSON event/);
  });

  it('skips a line that is not JSON, names it, and keeps the lines after it', () => {
    const events = recorded();
    const lines = events.map((e) => `${encodeEvent(e)}\n`);
    lines.splice(3, 0, 'this is not json\n');
    const { events: read, problems } = readAll(fileOf(lines));
    expect(read).toEqual(events);
    expect(problems).toMatchObject([{ code: 'not_json', line: 4 }]);
  });

  it('names an unknown type and a future version with their lines', () => {
    const events = recorded(1);
    const lines = events.map((e) => `${encodeEvent(e)}\n`);
    lines.push(`${JSON.stringify({ v: 1, seq: 99, at: 0, type: 'capture.exploded' })}\n`);
    lines.push(
      `${JSON.stringify({ v: 3, seq: 100, at: 0, type: 'capture.begun', capture: 'k', gen: 9 })}\n`,
    );
    const { problems } = readAll(fileOf(lines));
    expect(problems.map((p) => [p.code, p.line])).toEqual([
      ['unknown_event_type', events.length + 1],
      ['unsupported_version', events.length + 2],
    ]);
    expect(problems[1]!.message).toMatch(
      /v3 is newer than this toolflight reads \(v1\): upgrade toolflight/,
    );
  });

  it('reports a seq gap and a duplicate seq with the seq, folding what it can', () => {
    const events = recorded();
    const gap = [...events.slice(0, 4), ...events.slice(6)];
    const broken = replay(gap);
    expect(broken.violations[0]).toMatchObject({ seq: 7, rule: 'seq-gap' });
    expect(broken.violations[0]!.message).toMatch(/seq jumps from 4 to 7: 2 events are missing/);

    const duplicated = [...events.slice(0, 5), events[4]!, ...events.slice(5)];
    const result = replay(duplicated);
    expect(result.violations).toMatchObject([{ seq: 5, rule: 'seq-order' }]);
    expect(result.snapshot).toEqual(replay(events).snapshot);
  });

  it('names a path that does not exist, and a directory', () => {
    expect(() => [...readRecording(join(dir(), 'missing.jsonl'))]).toThrow(
      /cannot read the recording .*missing\.jsonl: no such file/,
    );
    expect(() => [...readRecording(dir())]).toThrow(/it is a directory/);
  });

  it('reads lines longer than its buffer, and blank and CRLF-ended lines', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    tracker.beginCapture('k');
    tracker.toolCallStarted({
      capture: 'k',
      toolName: 'upload',
      args: { blob: 'x'.repeat(3 << 20) },
    });
    const [begun, started] = store.events();
    const path = fileOf([`${encodeEvent(begun!)}\r\n`, '\n', `${encodeEvent(started!)}\n`]);
    const { events, problems } = readAll(path);
    expect(problems).toEqual([]);
    expect(events).toEqual([begun, started]);
  });

  it('streams a 200 MB recording in bounded memory', { timeout: 120_000 }, () => {
    const path = join(dir(), 'big.jsonl');
    const fd = openSync(path, 'w');
    let seq = 0;
    let bytes = 0;
    const padding = 'x'.repeat(400);
    try {
      writeSync(
        fd,
        `${encodeEvent({ v: 1, seq: ++seq, at: 0, type: 'capture.begun', capture: 'big', gen: 1 })}\n`,
      );
      while (bytes < 200 * 2 ** 20) {
        const lines: string[] = [];
        for (let i = 0; i < 1000; i++) {
          const id = `rq_${seq}`;
          lines.push(
            encodeEvent({
              v: 1,
              seq: ++seq,
              at: seq,
              type: 'request.started',
              capture: 'big',
              gen: 1,
              id,
              data: {},
            }),
            encodeEvent({
              v: 1,
              seq: ++seq,
              at: seq,
              type: 'request.classified',
              capture: 'big',
              gen: 1,
              id,
              data: { method: padding },
            }),
            encodeEvent({
              v: 1,
              seq: ++seq,
              at: seq,
              type: 'request.finished',
              capture: 'big',
              gen: 1,
              id,
              data: {},
            }),
          );
        }
        const chunk = `${lines.join('\n')}\n`;
        bytes += writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let count = 0;
    const result = replay(
      (function* () {
        for (const event of readRecording(path)) {
          if (++count % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
          yield event;
        }
      })(),
    );
    expect(result.violationCount).toBe(0);
    expect(result.events).toBe(seq);
    expect(result.snapshot.captures[0]).toMatchObject({
      inFlight: 0,
      activityVersion: 2 * ((seq - 1) / 3),
    });
    // Reading it whole would take well over 200 MB of heap; streaming stays far below.
    expect(peak - baseline).toBeLessThan(64 * 2 ** 20);
  });
});
