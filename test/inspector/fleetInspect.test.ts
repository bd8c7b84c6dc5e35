import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { inspectFleet, type FleetEvent } from '../../src/cli/fleetInspect.js';
import type { CliIo } from '../../src/cli/io.js';
import { decodeEvent, type ToolflightEvent } from '../../src/index.js';
import { get } from './support.js';

const QUIET: ToolflightEvent[] = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'quiet-run.jsonl'),
  'utf8',
)
  .trim()
  .split('\n')
  .map((line) => decodeEvent(line));

/** A CLI's io whose stdout the test closes to stop the command, as `head` would. */
function testIo(): CliIo & { lines: string[]; errors: string[]; stop: () => void } {
  const closed = new AbortController();
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    stdoutClosed: closed.signal,
    lines,
    errors,
    stop: () => closed.abort(),
  };
}

/** Resolves once the signal aborts. */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

const urlOf = (io: { lines: string[] }) =>
  new URL(io.lines.find((line) => line.startsWith('open '))!.slice('open '.length));

describe('inspectFleet', () => {
  it('serves the merged log of what the reader yields, reports a refused event, and stops on a closed stdout', async () => {
    const io = testIo();
    let given: AbortSignal | undefined;
    async function* readEvents(signal: AbortSignal): AsyncGenerator<FleetEvent> {
      given = signal;
      for (const event of QUIET) {
        yield { host: 'host-a', log: 'one', event };
        yield { host: 'host-b', log: 'one', event };
      }
      // A redelivered event: refused, and the rest still goes in.
      yield { host: 'host-a', log: 'one', event: QUIET[3]! };
      yield { host: 'host-a', log: 'two', event: QUIET[0]! };
      // A reader follows its stream until told to stop.
      await aborted(signal);
    }
    const done = inspectFleet(io, { title: 'nats://fleet', readEvents, port: 0 });
    await expect.poll(() => io.lines.some((line) => line.startsWith('open '))).toBe(true);
    expect(io.lines[0]).toBe('toolflight inspector: the fleet at nats://fleet');
    const url = urlOf(io);
    const history = async () =>
      (await get(`${url.origin}/history${url.search}`)).body
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => decodeEvent(line));
    const total = QUIET.length * 2 + 1;
    await expect.poll(async () => (await history()).length).toBe(total);
    const events = await history();
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.slice(0, 2).map((event) => event.capture)).toEqual([
      'host-a/run-1',
      'host-b/run-1',
    ]);
    expect(events[total - 1]!.capture).toBe('host-a#2/run-1');
    expect(io.errors).toEqual([
      expect.stringMatching(/^toolflight inspect: fleetFeed: host-a log one sent seq 4 after seq/),
    ]);
    // The page is in fleet mode.
    expect((await get(url.href)).body).toContain('data-fleet="1"');

    io.stop();
    expect(await done).toBe(0);
    expect(given?.aborted).toBe(true);
    await expect(get(url.href)).rejects.toThrow();
  });

  it('keeps serving what it read when the reader fails, and says so', async () => {
    const io = testIo();
    // eslint-disable-next-line @typescript-eslint/require-await
    async function* readEvents(): AsyncGenerator<FleetEvent> {
      yield { host: 'host-a', log: 'one', event: QUIET[0]! };
      throw new Error('connection to nats lost');
    }
    const done = inspectFleet(io, { title: 'nats://fleet', readEvents });
    await expect.poll(() => io.errors.length).toBe(1);
    expect(io.errors[0]).toBe(
      'toolflight inspect: reading the fleet failed after 1 events: connection to nats lost; the page keeps showing them (Ctrl-C to stop)',
    );
    const url = urlOf(io);
    expect((await get(`${url.origin}/history${url.search}`)).body).toContain('host-a/run-1');
    io.stop();
    expect(await done).toBe(0);
  });
});
