import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { decodeEvent, type ToolflightEvent } from '../../src/index.js';
import { unlabel } from '../../src/events/labelEvent.js';
import { fleetFeed, InspectorError } from '../../src/inspector/index.js';
import { hostOf } from '../../src/inspector/page/fleetPanel.js';
import { Sessions } from '../../src/otel/sessions.js';
import { emptyInventory, foldInventory, inventoryOf } from '../../src/projections/inventory.js';
import { replay } from '../../src/replay/index.js';

const fixture = (name: string): ToolflightEvent[] =>
  readFileSync(join(import.meta.dirname, '..', 'fixtures', `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => decodeEvent(line));

const QUIET = fixture('quiet-run');
const REUSED = fixture('reused-key');

/** A loose event of a host's log: no capture, no entity, only what its data names. */
const loose = (seq: number, type: string, data: Record<string, unknown>): ToolflightEvent =>
  ({ v: 1, seq, at: seq * 10, type, data }) as unknown as ToolflightEvent;

/** The same gateway's log on two hosts: server `fs` listing its own tool, session `s1`. */
const gatewayLog = (tool: string): ToolflightEvent[] => [
  loose(1, 'upstream.changed', { server: 'fs', state: 'up' }),
  loose(2, 'catalog.listed', { server: 'fs', tools: [{ name: tool }], fingerprint: tool }),
  loose(3, 'session.opened', { session: 's1', transport: 'tcp' }),
];

function refusal(run: () => unknown): InspectorError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InspectorError);
    return error as InspectorError;
  }
  throw new Error('expected a refusal');
}

describe('fleetFeed', () => {
  it('labels each source by host, then host#2, host#3 for a host’s later logs', () => {
    const feed = fleetFeed();
    feed.push('host-a', 'one', QUIET[0]!);
    feed.push('host-b', 'one', QUIET[0]!);
    feed.push('host-a', 'two', QUIET[0]!);
    feed.push('host-a', 'three', QUIET[0]!);
    feed.push('host-a', 'one', QUIET[1]!);
    expect(feed.sources().map(({ label, host, log }) => `${label}=${host}:${log}`)).toEqual([
      'host-a=host-a:one',
      'host-b=host-b:one',
      'host-a#2=host-a:two',
      'host-a#3=host-a:three',
    ]);
    expect([...feed.history(0)].map((event) => event.capture)).toEqual([
      'host-a/run-1',
      'host-b/run-1',
      'host-a#2/run-1',
      'host-a#3/run-1',
      'host-a/run-1',
    ]);
    expect([...feed.history(0)][4]!.id).toBe('host-a/rq_1');
  });

  it('gives the merged log a gapless seq from 1 and each source its own generations', () => {
    const feed = fleetFeed();
    // Interleaved: one event of each in turn while both last.
    for (let i = 0; i < Math.max(QUIET.length, REUSED.length); i++) {
      if (QUIET[i]) feed.push('host-a', 'log', QUIET[i]!);
      if (REUSED[i]) feed.push('host-b', 'log', REUSED[i]!);
    }
    const merged = [...feed.history(0)];
    expect(merged.map((event) => event.seq)).toEqual(merged.map((_, i) => i + 1));
    expect(feed.lastSeq()).toBe(QUIET.length + REUSED.length);
    // Both hosts' first key is gen 1 in their own logs; the merged log keeps them apart.
    const gens = new Set(merged.filter((e) => e.type === 'capture.begun').map((e) => e.gen));
    expect(gens.size).toBe(1 + REUSED.filter((e) => e.type === 'capture.begun').length);
    // The merged log folds like each log on its own, host by host.
    const { snapshot, violationCount } = replay(merged);
    expect(violationCount).toBe(0);
    for (const [host, own] of [
      ['host-a', QUIET],
      ['host-b', REUSED],
    ] as const) {
      const expected = replay(own).snapshot.captures.map((c) => `${host}/${c.key} ${c.inFlight}`);
      const got = snapshot.captures
        .filter((c) => c.key.startsWith(`${host}/`))
        .map((c) => `${c.key} ${c.inFlight}`);
      expect(got).toEqual(expected);
    }
  });

  it('sends each event to subscribers, and history after a seq resumes there', () => {
    const feed = fleetFeed();
    feed.push('host-a', 'log', QUIET[0]!);
    const seen: number[] = [];
    const stop = feed.subscribe((event) => seen.push(event.seq));
    feed.push('host-a', 'log', QUIET[1]!);
    feed.push('host-b', 'log', QUIET[0]!);
    stop();
    feed.push('host-b', 'log', QUIET[1]!);
    expect(seen).toEqual([2, 3]);
    expect([...feed.history(2)].map((event) => event.seq)).toEqual([3, 4]);
  });

  it('drops the oldest events beyond maxEvents and keeps the seq going', () => {
    const feed = fleetFeed({ maxEvents: 5 });
    for (const event of REUSED) feed.push('host-a', 'log', event);
    expect(feed.lastSeq()).toBe(REUSED.length);
    expect(feed.dropped()).toBe(REUSED.length - 5);
    const kept = [...feed.history(0)].map((event) => event.seq);
    expect(kept).toEqual([13, 14, 15, 16, 17]);
    expect([...feed.history(15)].map((event) => event.seq)).toEqual([16, 17]);
    // A reader part-way through a history sees the rest even as the kept range moves on.
    const reading = feed.history(0)[Symbol.iterator]();
    expect((reading.next().value as ToolflightEvent | undefined)?.seq).toBe(13);
    for (const event of QUIET) feed.push('host-b', 'log', event);
    expect((reading.next().value as ToolflightEvent | undefined)?.seq).toBe(feed.lastSeq() - 4);
    expect(refusal(() => fleetFeed({ maxEvents: 0 })).code).toBe('invalid_option');
  });

  it('refuses an event out of seq order for its source, and loses nothing else', () => {
    const feed = fleetFeed();
    const seen: number[] = [];
    feed.subscribe((event) => seen.push(event.seq));
    feed.push('host-a', 'log', QUIET[0]!);
    feed.push('host-a', 'log', QUIET[2]!);
    feed.push('host-b', 'log', QUIET[2]!);
    const late = refusal(() => feed.push('host-a', 'log', QUIET[1]!));
    expect(late.code).toBe('out_of_order');
    expect(late.message).toMatch(/host-a log log sent seq 2 after seq 3.*not added/);
    const duplicate = refusal(() => feed.push('host-a', 'log', QUIET[2]!));
    expect(duplicate.code).toBe('out_of_order');
    // The same seq from another source, and the source's next one, still go in.
    feed.push('host-a', 'other', QUIET[1]!);
    feed.push('host-a', 'log', QUIET[3]!);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect([...feed.history(0)].map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(feed.sources().find((s) => s.label === 'host-a')).toMatchObject({
      lastSeq: 4,
      events: 3,
      missing: 1,
    });
  });

  it('refuses a host that would not label apart, and a seq that is not one', () => {
    const feed = fleetFeed();
    for (const host of ['', 'a/b', 'a#2']) {
      expect(refusal(() => feed.push(host, 'log', QUIET[0]!)).code).toBe('invalid_event');
    }
    const bad = { ...QUIET[0]!, seq: 0 } as ToolflightEvent;
    expect(refusal(() => feed.push('host-a', 'log', bad)).message).toMatch(/seq 0/);
    expect(refusal(() => feed.push('host-a', '', QUIET[0]!)).code).toBe('invalid_event');
    expect(feed.lastSeq()).toBe(0);
    expect(feed.sources()).toEqual([]);
  });

  it('keeps notifying the others when a subscriber throws, and says so', () => {
    const warnings: string[] = [];
    const feed = fleetFeed({ logger: { warn: (message) => warnings.push(message) } });
    const seen: number[] = [];
    feed.subscribe(() => {
      throw new Error('boom');
    });
    feed.subscribe((event) => seen.push(event.seq));
    feed.push('host-a', 'log', QUIET[0]!);
    expect(seen).toEqual([1]);
    expect(warnings).toEqual(['fleetFeed: a subscriber threw: Error: boom']);
  });

  it('Seen: two hosts’ servers and sessions of the same name were one server and one session in the merged fold', () => {
    const feed = fleetFeed();
    const [a, b] = [gatewayLog('read'), gatewayLog('write')];
    for (let i = 0; i < a.length; i++) {
      feed.push('host-a', 'log', a[i]!);
      feed.push('host-b', 'log', b[i]!);
    }
    feed.push('host-a', 'log', loose(4, 'session.closed', { session: 's1', reason: 'deleted' }));
    const merged = [...feed.history(0)];

    const inventory = inventoryOf(merged.reduce(foldInventory, emptyInventory()));
    expect(inventory.servers.map(({ server, state }) => `${server} ${state}`)).toEqual([
      'host-a/fs up',
      'host-b/fs up',
    ]);
    expect(inventory.tools.map(({ name, server, tool }) => `${name}=${server}:${tool}`)).toEqual([
      'host-a_fs__read=host-a/fs:read',
      'host-b_fs__write=host-b/fs:write',
    ]);

    // host-a closing its `s1` leaves host-b's `s1` open.
    const sessions = new Sessions(undefined);
    for (const event of merged) {
      const data = event.data as Record<string, unknown>;
      if (event.type === 'session.opened') sessions.opened(data, event.at);
      if (event.type === 'session.closed') sessions.closed(data, event.at);
    }
    expect(sessions.get('host-a/s1')).toBeUndefined();
    expect(sessions.get('host-b/s1')).toMatchObject({ transport: 'tcp' });
  });

  it('Seen: an event without a capture or an id (a session, an upstream) showed no host', () => {
    const feed = fleetFeed();
    const events = [
      loose(1, 'session.opened', { session: 's1', transport: 'tcp', server: { address: '::1' } }),
      loose(2, 'upstream.requested', {
        server: 'fs',
        method: 'tools/list',
        transport: 'pipe',
        outbox: 'ob_1',
        trace: { traceId: 't'.repeat(32), spanId: 's'.repeat(16) },
      }),
      loose(3, 'upstream.answered', { server: 'fs', span: 's'.repeat(16), outcome: 'result' }),
      loose(4, 'agent.asked', { method: 'roots/list', relay: 'r1' }),
      loose(5, 'log.gap', { through: 9, reason: 'disk full' }),
    ];
    const merged = events.map((event) => feed.push('host-b', 'log', event));
    expect(merged.map(hostOf)).toEqual(['host-b', 'host-b', 'host-b', 'host-b', undefined]);
    const [opened, requested, answered] = merged.map((e) => e.data as Record<string, unknown>);
    expect(opened).toMatchObject({ session: 'host-b/s1', server: { address: '::1' } });
    expect(requested).toMatchObject({ server: 'host-b/fs', outbox: 'host-b/ob_1' });
    // A span id is the trace's, not the host's: left as it is, so the two still pair up.
    expect(answered!.span).toBe((requested!.trace as { spanId: string }).spanId);
    expect(unlabel(opened!.session as string)).toEqual({ label: 'host-b', name: 's1' });
  });
});
