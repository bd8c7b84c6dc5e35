import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  replay,
  type ToolflightEvent,
  type ViolationRule,
} from '../../src/index.js';
import { interleavedRun } from '../support/script.js';

const begun = (seq: number, gen = 1, capture = 'k'): ToolflightEvent => ({
  v: 1,
  seq,
  at: 0,
  type: 'capture.begun',
  capture,
  gen,
});
const entity = (
  seq: number,
  type: string,
  id: string,
  data: object = {},
  gen = 1,
): ToolflightEvent => ({ v: 1, seq, at: 0, type, capture: 'k', gen, id, data }) as ToolflightEvent;

/** The first violation of a log, as [seq, rule, entity]. */
function firstViolation(
  events: ToolflightEvent[],
): [number, ViolationRule, string | undefined] | undefined {
  const v = replay(events).violations[0];
  return v && [v.seq, v.rule, v.entity];
}

describe('log verification', () => {
  it('finds nothing wrong in logs the tracker writes', () => {
    for (const seed of [1, 2, 3]) {
      const store = createMemoryStore();
      const tracker = createTracker({ store });
      interleavedRun(tracker, { captures: 4, calls: 300, seed });
      tracker.clearCapture('run-1');
      tracker.beginCapture('run-2');
      expect(replay(store.events()).violations).toEqual([]);
    }
  });

  it('replays to the projection live tracking had, byte for byte', () => {
    for (const seed of [11, 12]) {
      const store = createMemoryStore();
      const tracker = createTracker({ store, clock: () => 7 });
      interleavedRun(tracker, { captures: 3, calls: 120, seed });
      // Leave work in flight, clear one capture and reuse another key, so the projection is not empty.
      const request = tracker.requestStarted('run-0');
      tracker.toolCallStarted({ request, toolName: 'pending', args: { n: 1 } });
      tracker.beginCapture('run-1');
      tracker.clearCapture('run-2');
      expect(JSON.stringify(replay(store.events()).snapshot)).toBe(
        JSON.stringify(tracker.snapshot()),
      );
    }
  });

  it('stops at --until: the projection as it was at that seq', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    tracker.beginCapture('k');
    const request = tracker.requestStarted('k');
    tracker.requestFinished(request);
    expect(replay(store.events(), { until: 2 }).snapshot.captures[0]).toMatchObject({
      inFlight: 1,
    });
    expect(replay(store.events(), { until: 2 }).lastSeq).toBe(2);
  });

  const cases: [string, ToolflightEvent[], [number, ViolationRule, string | undefined]][] = [
    ['a log that does not start at 1', [begun(2)], [2, 'seq-start', undefined]],
    [
      'a finish before a start',
      [begun(1), entity(2, 'request.finished', 'rq_1')],
      [2, 'not-started', 'rq_1'],
    ],
    [
      'a second finish',
      [
        begun(1),
        entity(2, 'request.started', 'rq_1'),
        entity(3, 'request.finished', 'rq_1'),
        entity(4, 'request.finished', 'rq_1'),
      ],
      [4, 'already-finished', 'rq_1'],
    ],
    [
      'a prepare after a result',
      [
        begun(1),
        entity(2, 'toolCall.started', 'tc_1', { toolName: 'a', args: {} }),
        entity(3, 'toolCall.result', 'tc_1', { outcome: 'completed', isError: false }),
        entity(4, 'toolCall.prepared', 'tc_1', { toolName: 'a', args: {} }),
      ],
      [4, 'machine', 'tc_1'],
    ],
    [
      'a start in a capture never begun',
      [begun(1), entity(2, 'request.started', 'rq_1', {}, 7)],
      [2, 'unknown-capture', 'rq_1'],
    ],
    [
      'work after the capture was cleared',
      [
        begun(1),
        { v: 1, seq: 2, at: 0, type: 'capture.cleared', capture: 'k', gen: 1 },
        entity(3, 'request.started', 'rq_1'),
      ],
      [3, 'capture-cleared', 'rq_1'],
    ],
    ['a generation begun twice', [begun(1), begun(2)], [2, 'gen-reused', 'k gen 1']],
    [
      'an id used twice',
      [begun(1), entity(2, 'request.started', 'rq_1'), entity(3, 'request.started', 'rq_1')],
      [3, 'id-reused', 'rq_1'],
    ],
    [
      'a call on a finished request',
      [
        begun(1),
        entity(2, 'request.started', 'rq_1'),
        entity(3, 'request.finished', 'rq_1'),
        entity(4, 'toolCall.started', 'tc_1', { request: 'rq_1', toolName: 'a', args: {} }),
      ],
      [4, 'request-finished', 'tc_1'],
    ],
    [
      'a call naming a live request of another generation (bug: reported as request-finished)',
      [
        begun(1),
        entity(2, 'request.started', 'rq_1'),
        begun(3, 2),
        entity(4, 'toolCall.started', 'tc_1', { request: 'rq_1', toolName: 'a', args: {} }, 2),
      ],
      [4, 'wrong-generation', 'tc_1'],
    ],
    [
      'a request event on a tool call',
      [
        begun(1),
        entity(2, 'toolCall.started', 'tc_1', { toolName: 'a', args: {} }),
        entity(3, 'request.finished', 'tc_1'),
      ],
      [3, 'wrong-kind', 'tc_1'],
    ],
    [
      'a new request in a replaced generation',
      [
        begun(1),
        entity(2, 'request.started', 'rq_1'),
        begun(3, 2),
        entity(4, 'request.started', 'rq_2', {}, 1),
      ],
      [4, 'not-current', 'rq_2'],
    ],
  ];
  for (const [name, events, expected] of cases) {
    it(`reports ${name} with its seq, entity and rule`, () => {
      expect(firstViolation(events)).toEqual(expected);
      expect(replay(events).violations[0]!.message).toMatch(new RegExp(`^seq ${expected[0]} \\(`));
    });
  }

  it('explains a machine refusal with the state it was in', () => {
    const events = [
      begun(1),
      entity(2, 'toolCall.started', 'tc_1', { toolName: 'a', args: {} }),
      entity(3, 'toolCall.result', 'tc_1', { outcome: 'completed', isError: false }),
      entity(4, 'toolCall.result', 'tc_1', { outcome: 'failed', isError: true }),
    ];
    expect(replay(events).violations[0]!.message).toBe(
      'seq 4 (toolCall.result tc_1): the toolCall machine in state started (resulted) refuses RESULT',
    );
  });
});

describe('createTracker({ history })', () => {
  it('continues a log: seq, generations and ids go on, live handles can be reached', () => {
    const store = createMemoryStore();
    const first = createTracker({ store });
    first.beginCapture('k');
    const request = first.requestStarted('k');
    first.toolCallStarted({ request, toolName: 'send' });

    const next = createMemoryStore();
    const tracker = createTracker({ store: next, history: store.events() });
    const call = tracker.toolCallHandle('tc_1');
    expect(call).toMatchObject({
      id: 'tc_1',
      toolName: 'send',
      state: 'started',
      capture: 'k',
      gen: 1,
    });
    expect(tracker.toolCallFinished(call)).toBe(true);
    expect(tracker.requestFinished(tracker.requestHandle('rq_1'))).toBe(true);
    expect(tracker.beginCapture('other')).toBe(2);
    expect(tracker.requestStarted('other')?.id).toBe('rq_2');
    expect(next.events().map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(replay([...store.events(), ...next.events()]).violations).toEqual([]);
  });

  it('refuses a history that breaks a machine, naming the seq', () => {
    expect(() =>
      createTracker({ history: [begun(1), entity(2, 'request.finished', 'rq_1')] }),
    ).toThrow(/the history is not a valid log: seq 2 \(request\.finished rq_1\)/);
  });

  it('idles on the continued capture with virtual time', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({
      scheduler,
      history: [begun(1), entity(2, 'request.started', 'rq_1')],
    });
    scheduler.schedule(() => tracker.requestFinished(tracker.requestHandle('rq_1')), 100);
    const idle = tracker.waitForIdle('k', { timeoutMs: 1000, admissionGraceMs: 50 });
    scheduler.flush();
    await expect(idle).resolves.toBe(true);
    expect(scheduler.now()).toBe(150);
  });
});

describe('replay options', () => {
  it('stops reading once its signal is aborted, with the projection so far', () => {
    const controller = new AbortController();
    const read: number[] = [];
    function* events(): Generator<ToolflightEvent> {
      for (const event of [begun(1), entity(2, 'request.started', 'rq_1'), begun(3, 2)]) {
        read.push(event.seq);
        yield event;
      }
    }
    const result = replay(events(), {
      signal: controller.signal,
      onStep: (step) => step.event.seq === 2 && controller.abort(),
    });
    expect(result).toMatchObject({ events: 2, lastSeq: 2 });
    expect(read).toEqual([1, 2, 3]);
  });

  it('stamps each violation with where locate says the event was read', () => {
    const result = replay([begun(1), begun(2)], {
      locate: () => ({ source: 'run.jsonl', line: 7 }),
    });
    expect(result.violations).toMatchObject([{ rule: 'gen-reused', source: 'run.jsonl', line: 7 }]);
  });

  it('tells onStep the state each event left its entity in', () => {
    const steps: string[] = [];
    replay(
      [
        begun(1),
        entity(2, 'toolCall.started', 'tc_1', { toolName: 'a', args: {} }),
        entity(3, 'toolCall.result', 'tc_1', { outcome: 'completed', isError: false }),
        entity(4, 'toolCall.finished', 'tc_1', { prepared: false }),
        entity(5, 'toolCall.finished', 'tc_1', { prepared: false }),
      ],
      { onStep: (step) => steps.push(`${step.event.seq} ${step.applied} ${step.stateAfter}`) },
    );
    expect(steps).toEqual([
      '1 true active',
      '2 true started',
      '3 true started (resulted)',
      '4 true finished',
      '5 false ',
    ]);
  });
});
