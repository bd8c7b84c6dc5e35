import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  decodeEvent,
  DecodeError,
  encodeEvent,
  validateEvent,
} from '../src/index.js';
import { interleavedRun } from './support/script.js';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ v: 1, seq: 1, at: 0, ...fields });

describe('JSONL codec', () => {
  it('round-trips every event a tracker writes, byte for byte', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    interleavedRun(tracker, { captures: 2, calls: 20, seed: 3 });
    tracker.beginCapture('k', {
      onRequestStart: () => {
        throw new Error('x');
      },
    });
    void tracker.yielded(tracker.requestStarted('k'), 'hi');
    tracker.clearCapture('k');
    const types = new Set(store.events().map((e) => e.type));
    expect(types.size).toBe(11);
    for (const event of store.events()) {
      const text = encodeEvent(event);
      expect(text).not.toContain('\n');
      expect(encodeEvent(decodeEvent(text))).toBe(text);
    }
  });

  it('writes the documented envelope order', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store, clock: () => 1250 });
    tracker.beginCapture('run-1');
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: { to: '#ops' } });
    expect(encodeEvent(store.events()[1]!)).toBe(
      '{"v":1,"seq":2,"at":1250,"type":"toolCall.started","capture":"run-1","gen":1,"id":"tc_1","data":{"toolName":"send","args":{"to":"#ops"}}}',
    );
  });

  it('decodes a line with its keys in another order to the canonical order, and one in order as it is', () => {
    const canonical =
      '{"v":1,"seq":4,"at":9,"type":"toolCall.started","capture":"run","gen":2,"id":"tc_1","data":{"toolName":"send","args":{}}}';
    const shuffled =
      '{"data":{"toolName":"send","args":{}},"id":"tc_1","type":"toolCall.started","gen":2,"at":9,"v":1,"capture":"run","seq":4}';
    expect(encodeEvent(decodeEvent(shuffled))).toBe(canonical);
    expect(encodeEvent(decodeEvent(canonical))).toBe(canonical);
    // One key out of place, the rest in order.
    const swapped = canonical.replace('"seq":4,"at":9', '"at":9,"seq":4');
    expect(encodeEvent(decodeEvent(swapped))).toBe(canonical);
    // validateEvent never hands back the caller's own object.
    const value = JSON.parse(canonical) as unknown;
    expect(validateEvent(value)).not.toBe(value);
    expect(validateEvent(value)).toEqual(value);
  });

  it('accepts the later event types of the format', () => {
    const cases = [
      { type: 'catalog.listed', data: { server: 's', tools: [{ name: 'a' }], fingerprint: 'f' } },
      {
        type: 'catalog.listed',
        data: { server: 's', tools: [], fingerprint: 'f', kept: true },
      },
      { type: 'context.changed', data: { visible: ['a'] } },
      { type: 'upstream.changed', data: { server: 's', state: 'down' } },
      { type: 'outbox.enqueued', data: { key: 'k', tool: 'send' } },
      { type: 'outbox.rejected', data: { key: 'k', tool: 'send', reason: '400' } },
    ];
    for (const fields of cases) expect(decodeEvent(line(fields)).type).toBe(fields.type);
  });

  describe('bad input', () => {
    const where = { source: 'run.jsonl', line: 12 };
    const cases: [string, string, string, RegExp][] = [
      ['text that is not JSON', '{"v":1,"seq":', 'not_json', /run\.jsonl:12: not a JSON event/],
      ['a JSON array', '[1,2]', 'invalid_event', /must be a JSON object/],
      [
        'a future version',
        line({ v: 2, type: 'capture.begun' }),
        'unsupported_version',
        /v2 is newer.*upgrade/,
      ],
      [
        'a missing version',
        JSON.stringify({ seq: 1, at: 0, type: 'capture.begun' }),
        'invalid_event',
        /"v" must be 1/,
      ],
      [
        'an unknown type',
        line({ type: 'capture.exploded' }),
        'unknown_event_type',
        /unknown event type "capture.exploded"/,
      ],
      [
        'a prototype key as type',
        line({ type: '__proto__' }),
        'unknown_event_type',
        /unknown event type/,
      ],
      [
        'seq 0',
        line({ seq: 0, type: 'capture.begun', capture: 'k', gen: 1 }),
        'invalid_event',
        /"seq" must be a positive integer/,
      ],
      [
        'a string at',
        line({ at: '5', type: 'capture.begun', capture: 'k', gen: 1 }),
        'invalid_event',
        /"at" must be a finite number/,
      ],
      [
        'a missing capture',
        line({ type: 'capture.begun', gen: 1 }),
        'invalid_event',
        /capture.begun needs "capture"/,
      ],
      [
        'an empty capture',
        line({ type: 'capture.begun', capture: '', gen: 1 }),
        'invalid_event',
        /"capture" of capture.begun is not valid/,
      ],
      [
        'a fractional gen',
        line({ type: 'capture.begun', capture: 'k', gen: 1.5 }),
        'invalid_event',
        /"gen"/,
      ],
      [
        'an id on a capture event',
        line({ type: 'capture.cleared', capture: 'k', gen: 1, id: 'x' }),
        'invalid_event',
        /has no "id"/,
      ],
      [
        'an unexpected field',
        line({ type: 'capture.begun', capture: 'k', gen: 1, extra: 1 }),
        'invalid_event',
        /unexpected field "extra"/,
      ],
      [
        'a missing id',
        line({ type: 'request.started', capture: 'k', gen: 1, data: {} }),
        'invalid_event',
        /needs "id"/,
      ],
      [
        'array args',
        line({
          type: 'toolCall.started',
          capture: 'k',
          gen: 1,
          id: 'tc',
          data: { toolName: 'a', args: [] },
        }),
        'invalid_event',
        /data.args of toolCall.started must be a object/,
      ],
      [
        'a kept that is not a boolean',
        line({
          type: 'catalog.listed',
          data: { server: 's', tools: [], fingerprint: 'f', kept: 'yes' },
        }),
        'invalid_event',
        /data.kept of catalog.listed must be a boolean/,
      ],
      [
        'an unknown outcome',
        line({
          type: 'toolCall.result',
          capture: 'k',
          gen: 1,
          id: 'tc',
          data: { outcome: 'done', isError: false },
        }),
        'invalid_event',
        /must be one of completed/,
      ],
      [
        'a missing data',
        line({ type: 'toolCall.finished', capture: 'k', gen: 1, id: 'tc' }),
        'invalid_event',
        /"data" must be an object/,
      ],
      [
        'data where none belongs',
        line({ type: 'capture.begun', capture: 'k', gen: 1, data: {} }),
        'invalid_event',
        /has no "data"/,
      ],
    ];
    for (const [name, text, code, message] of cases) {
      it(`rejects ${name} with ${code}, naming the line`, () => {
        let caught: unknown;
        try {
          decodeEvent(text, where);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(DecodeError);
        expect(caught).toMatchObject({ code, line: 12, source: 'run.jsonl' });
        expect((caught as Error).message).toMatch(message);
        expect((caught as Error).message.startsWith('run.jsonl:12: ')).toBe(true);
      });
    }

    it('survives a huge line without trouble', () => {
      const args = { blob: 'x'.repeat(5_000_000) };
      const text = line({
        type: 'toolCall.prepared',
        capture: 'k',
        gen: 1,
        id: 'tc',
        data: { toolName: 'a', args },
      });
      expect(decodeEvent(text).data).toEqual({ toolName: 'a', args });
    });

    it('validates parsed values too', () => {
      expect(() => validateEvent(null)).toThrow(DecodeError);
      expect(() => validateEvent(undefined)).toThrow(/JSON object/);
    });
  });
});
