import { describe, expect, it } from 'vitest';

import { labelEvent, labelOf, unlabel } from '../../src/events/labelEvent.js';
import { decodeEvent, encodeEvent, type ToolflightEvent } from '../../src/index.js';

const event = (fields: Record<string, unknown>): ToolflightEvent =>
  ({ v: 1, seq: 3, at: 30, ...fields }) as unknown as ToolflightEvent;

/** Every name the source gave, by where it is, with `from` renaming each. */
function namesOf(e: ToolflightEvent, from: (name: string) => string = (name) => name) {
  const data = (e.data ?? {}) as Record<string, unknown>;
  const rpc = (data.rpc ?? {}) as Record<string, unknown>;
  const servers = (data.servers ?? []) as { name: string }[];
  return [e.capture, e.id, data.session, data.server, data.key, data.capture, rpc.session]
    .concat(servers.map((server) => server.name))
    .filter((name): name is string => typeof name === 'string')
    .map(from);
}

const EVENTS = [
  event({
    type: 'request.classified',
    capture: 'run-1',
    gen: 1,
    id: 'rq_1',
    data: { method: 'tools/call', rpc: { id: 7, session: 's1' } },
  }),
  event({ type: 'session.closed', data: { session: 's1', reason: 'deleted' } }),
  event({ type: 'upstream.changed', data: { server: 'fs', state: 'up' } }),
  event({ type: 'outbox.enqueued', data: { key: 'k1', tool: 'send', toolCall: 'tc_1' } }),
  event({ type: 'context.changed', data: { capture: 'run-1', context: { team: 'ops' } } }),
  event({
    type: 'gateway.configured',
    data: { servers: [{ name: 'fs', config: 'c1', transport: 'stdio' }] },
  }),
];

describe('labelEvent', () => {
  it('starts every name an event gives of its log with the label, and unlabel takes it off', () => {
    for (const source of EVENTS) {
      const before = encodeEvent(source);
      const labelled = labelEvent(source, 'host-a', 9);
      expect(labelled.seq).toBe(9);
      expect(labelOf(labelled)).toBe('host-a');
      expect(namesOf(labelled, (name) => unlabel(name).label ?? '')).toEqual(
        namesOf(source).map(() => 'host-a'),
      );
      expect(namesOf(labelled, (name) => unlabel(name).name)).toEqual(namesOf(source));
      // Still an event the codec reads, and the source's own event is left as it was.
      expect(decodeEvent(encodeEvent(labelled))).toEqual(labelled);
      expect(encodeEvent(source)).toBe(before);
    }
  });

  it('leaves an event that names nothing of its log without a label', () => {
    const gap = event({ type: 'log.gap', data: { through: 5, reason: 'disk full' } });
    expect(labelEvent(gap, 'host-a', 4)).toEqual({ ...gap, seq: 4 });
    expect(labelOf(labelEvent(gap, 'host-a', 4))).toBeUndefined();
  });
});
