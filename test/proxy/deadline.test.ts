// The deadline behind every request the proxy sends upstream, on virtual time: a window that
// progress opens again, a total bound that nothing extends, and the bound on a connection attempt.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { advance } from '../../src/testing/advance.js';
import { Deadline, withinDeadline, type Expiry } from '../../src/mcp/proxy/upstream/deadline.js';

function started(windowMs: number, totalMs: number) {
  const clock = new VirtualTimeScheduler();
  const expired: (Expiry & { at: number })[] = [];
  const deadline = new Deadline(clock, windowMs, totalMs, (expiry) =>
    expired.push({ ...expiry, at: clock.now() }),
  );
  return { clock, expired, deadline };
}

describe('Deadline', () => {
  it('expires when the window passes without news, not a tick before', () => {
    const { clock, expired } = started(1000, 10_000);
    advance(clock, 999);
    expect(expired).toEqual([]);
    advance(clock, 1);
    expect(expired).toEqual([
      { total: false, limitMs: 1000, elapsedMs: 1000, extended: false, at: 1000 },
    ]);
    advance(clock, 10_000);
    expect(expired).toHaveLength(1);
  });

  it('starts the window again on each extend, and the total bound still ends it', () => {
    const { clock, expired, deadline } = started(1000, 2500);
    advance(clock, 900);
    deadline.extend();
    advance(clock, 900);
    deadline.extend();
    expect(expired).toEqual([]);
    advance(clock, 699);
    deadline.extend();
    expect(expired).toEqual([]);
    advance(clock, 1);
    expect(expired).toEqual([
      { total: true, limitMs: 2500, elapsedMs: 2500, extended: true, at: 2500 },
    ]);
    expect(clock.actions).toHaveLength(0);
  });

  it('never fires once cleared, and an extend after the expiry does nothing', () => {
    const cleared = started(1000, 2500);
    cleared.deadline.clear();
    advance(cleared.clock, 5000);
    expect(cleared.expired).toEqual([]);
    const late = started(1000, 2500);
    advance(late.clock, 1000);
    late.deadline.extend();
    advance(late.clock, 5000);
    expect(late.expired).toHaveLength(1);
  });
});

describe('withinDeadline', () => {
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it('rejects with the expiry error when the work outlasts it, and drops the late failure', async () => {
    const clock = new VirtualTimeScheduler();
    let fail!: (error: Error) => void;
    const work = new Promise<string>((_, reject) => (fail = reject));
    const { settled } = withinDeadline(clock, 500, work, () => new Error('too slow'));
    advance(clock, 500);
    await expect(settled).rejects.toThrow('too slow');
    fail(new Error('late'));
  });

  it('settles with the work in time and leaves no timer', async () => {
    const clock = new VirtualTimeScheduler();
    const { settled } = withinDeadline(clock, 500, Promise.resolve('done'), () => new Error('x'));
    await expect(settled).resolves.toBe('done');
    expect(clock.actions).toHaveLength(0);
  });

  it('rejects at once with the reason given to stop', async () => {
    const clock = new VirtualTimeScheduler();
    const attempt = withinDeadline(clock, 500, new Promise(() => undefined), () => new Error('x'));
    attempt.stop(new Error('the proxy closed'));
    expect(await failureOf(attempt.settled)).toEqual(new Error('the proxy closed'));
    expect(clock.actions).toHaveLength(0);
  });
});
