// Issue 13: an upstream that ends its session stream (GET) as soon as it opens drove the link
// to start a new session at once, every time: 8,657 initialize POSTs in 10 s. A stream that
// ends before it carried anything is now a failure retried on the link's backoff.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import type { ProxyNotice } from '../../src/mcp/index.js';
import { advance } from '../../src/testing/advance.js';
import { startScriptedUpstream } from '../fixtures/proxy/scriptedUpstream.js';
import { nextNotice, onCleanup, startProxy, upstreamIs, type ProxyHarness } from './support.js';

const BACKOFF = { baseMs: 100, maxMs: 1000 };
/** The waits `random: () => 0.5` draws from BACKOFF: 3/4 of a doubling ceiling, capped. */
const WAITS = [75, 150, 300, 600, 750, 750];

/** The next `down`, or proof of a loop: an `up` beyond `ups` without a `down` in between. */
function nextDownOrLoop(h: ProxyHarness<undefined>, ups: number): Promise<ProxyNotice> {
  const counted = (state: string) => h.notices.filter(upstreamIs(state)).length;
  // `h.notices` is subscribed first, so it holds the notice this filter looks at.
  return nextNotice(h.proxy, (n) => upstreamIs('down')(n) || counted('up') > ups);
}

describe('proxy: an upstream that ends its session stream at once', () => {
  it('reconnects once per scheduled retry on a growing backoff, never in a loop', async () => {
    const upstream = await startScriptedUpstream({ streams: 'end' });
    onCleanup(() => upstream.stop());
    const initializes = () => upstream.seen.filter((seen) => seen === 'POST initialize').length;
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: clock,
      random: () => 0.5,
      backoff: BACKOFF,
    });

    for (const [attempt, wait] of WAITS.entries()) {
      const notice = await nextDownOrLoop(h, attempt + 1);
      expect(notice).toMatchObject({
        data: {
          state: 'down',
          retryInMs: wait,
          reason: expect.stringMatching(
            /ended the session stream before it carried anything/,
          ) as unknown,
        },
      });
      // One session per attempt: the first, then one per retry that ran.
      expect(initializes()).toBe(attempt + 1);
      expect(h.notices.filter(upstreamIs('up'))).toHaveLength(attempt + 1);
      // Nothing but the retry is waiting on the clock; moving it to the retry runs exactly that
      // one (a flush would also run out the connect deadline of the attempt it starts).
      expect(clock.actions.map((action) => action.delay - clock.now())).toEqual([wait]);
      advance(clock, wait);
    }
    await nextDownOrLoop(h, WAITS.length + 1);
    expect(initializes()).toBe(WAITS.length + 1);
  });
});
