import { describe, expect, it } from 'vitest';

import { createTracker, type ToolflightEvent } from '../../src/index.js';
import { captureSessionId, createStatelyMapper } from '../../src/inspector/statelyMessages.js';

describe('the Stately mapper', () => {
  it('sends the yield of a replaced generation that has drained (bug: it was dropped)', async () => {
    const tracker = createTracker();
    const events: ToolflightEvent[] = [];
    tracker.subscribe((event) => events.push(event));
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    tracker.requestFinished(request);
    tracker.beginCapture('run-1'); // gen 1 drains and leaves the projection
    expect(await tracker.yielded(request, 'done')).toBe(true);

    const map = createStatelyMapper();
    const messages = events.flatMap((event) => map(event));
    const yields = messages.filter(
      (message) => message.type === '@xstate.event' && message.event.type === 'YIELD',
    );
    expect(yields).toEqual([
      expect.objectContaining({ sessionId: captureSessionId(1), rootId: captureSessionId(1) }),
    ]);
  });
});
