// A log for the projection's tests: generations begun again and cleared, overlapping calls.
import { createMemoryStore, createTracker, sequentialIds } from '../../src/index.js';
import type { ToolflightEvent } from '../../src/events/types.js';

/** A log with generations replaced and cleared, overlapping calls, and some left in flight. */
export function busyLog(calls: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => (now += 5) });
  const open: {
    request: ReturnType<typeof tracker.requestStarted>;
    call: ReturnType<typeof tracker.toolCallStarted>;
  }[] = [];
  for (let i = 0; i < calls; i++) {
    const key = `run-${i % 3}`;
    if (i % 40 === 0) tracker.beginCapture(key); // a new generation; the old one drains
    if (i % 97 === 50) tracker.clearCapture(`run-${(i + 1) % 3}`);
    const request = tracker.requestStarted(key);
    if (request === undefined) continue;
    const call = tracker.toolCallStarted({ request, toolName: ['a', 'b'][i % 2]!, args: { i } });
    open.push({ request, call });
    // Finish the oldest calls, leaving up to 5 in flight.
    while (open.length > 1 + (i % 5)) {
      const done = open.shift()!;
      tracker.toolCallResult(done.call, { outcome: 'completed', isError: false });
      tracker.toolCallFinished(done.call);
      tracker.requestFinished(done.request, { status: 200 });
    }
  }
  return [...store.read()];
}
