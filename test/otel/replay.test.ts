// Determinism: the spans a live run gave are the spans its recording gives, exported tomorrow,
// in another process (names, kinds, ids, parents, attributes, times, links, status).
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';

import { decodeEvent, encodeEvent, type ToolflightEvent } from '../../src/index.js';
import { busyRun } from './busyRun.js';
import { histogramPoint, msOf, normalized, project, sdk, tracked } from './otelHarness.js';

/** The recording as a file holds it: each event encoded and decoded again. */
const recorded = (events: readonly ToolflightEvent[]) =>
  events.map((event) => decodeEvent(encodeEvent(event)));

async function* slowly(events: readonly ToolflightEvent[]): AsyncGenerator<ToolflightEvent> {
  for (const event of events) {
    await Promise.resolve();
    yield event;
  }
}

describe('a recording replays to the spans of its live run', () => {
  it('gives identical spans and metrics live, from an array and from an async iterable', async () => {
    const live = sdk();
    const run = tracked();
    const projection = project(live, run.tracker);
    busyRun(run);
    projection.close();
    await projection.done;

    const fromArray = sdk();
    await project(fromArray, recorded(run.events())).done;
    const fromStream = sdk();
    await project(fromStream, slowly(recorded(run.events()))).done;

    const spans = live.spans().map(normalized);
    expect(spans.map((span) => span.name)).toEqual([
      'tools/call send',
      'execute_tool audit',
      'tools/call send',
      'tools/call send',
      'tools/list',
      'execute_tool lookup',
      'ping',
    ]);
    expect(fromArray.spans().map(normalized)).toEqual(spans);
    expect(fromStream.spans().map(normalized)).toEqual(spans);
    const durations = async (harness: ReturnType<typeof sdk>) =>
      histogramPoint((await harness.metrics()).get('mcp.server.operation.duration'));
    expect(await durations(fromArray)).toEqual(await durations(live));
  });

  it('gives the same ids on every replay, derived ones included', async () => {
    const run = tracked();
    busyRun(run);
    const ids = async () => {
      const harness = sdk();
      await project(harness, recorded(run.events())).done;
      return harness.spans().map((span) => [span.spanContext(), span.parentSpanContext?.spanId]);
    };
    expect(await ids()).toEqual(await ids());
  });

  it('Seen: span times from a clock counting from 0 came out shifted by the process start', async () => {
    // The SDK reads a millisecond number below half the epoch as performance.now(); the
    // projection hands it HrTime, so `at` 11.5 with origin 0 is 11.5 ms after the epoch.
    const run = tracked();
    busyRun(run);
    const harness = sdk();
    await project(harness, run.events(), { timeOrigin: 0 }).done;
    const first = harness.span('tools/call send', SpanKind.SERVER);
    expect([msOf(first.startTime), msOf(first.endTime)]).toEqual([3, 11.5]);
  });
});
