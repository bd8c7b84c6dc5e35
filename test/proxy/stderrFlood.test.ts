// Issue 13: the stdio transport held a stderr line without a newline in full (it grew without
// bound) and made every line a notice, so an event in the log. A line is cut at 4 KiB now, and
// lines beyond a budget per window are counted and reported instead.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import type { ProxyNotice } from '../../src/mcp/index.js';
import {
  MAX_STDERR_LINE,
  STDERR_BUDGET,
  STDERR_WINDOW_MS,
  StderrLines,
} from '../../src/mcp/proxy/upstream/stderrLines.js';
import { startProxy, stdioUpstream } from './support.js';

const stderrOf = (notices: readonly ProxyNotice[]): string[] =>
  notices.flatMap((n) =>
    n.type === 'upstream.changed' && n.data.stderr !== undefined ? [n.data.stderr] : [],
  );

// The fixture child compiles TypeScript as it starts: allow for a loaded machine.
describe('proxy: a stdio upstream that floods stderr', { timeout: 30_000 }, () => {
  it('cuts a 10 MB line, passes a budget of lines, and reports how many it dropped', async () => {
    const h = await startProxy({
      upstream: stdioUpstream('--stderr-flood'),
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'still serving' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'still serving' });
    // The clock never moves: every line is in one window, and closing reports the rest.
    await h.proxy.close();

    // Counted first: a failure here must not print ten megabytes.
    const lines = stderrOf(h.notices);
    expect(lines).toHaveLength(101);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(4096 + 32);
    const logged = h
      .events()
      .filter((event) => event.type === 'upstream.changed' && 'stderr' in (event.data as object));
    expect(logged).toHaveLength(101);
    expect(lines[0]).toBe(`${'x'.repeat(4096)} … [cut at 4096 characters]`);
    expect(lines.slice(1, 100)).toEqual(
      Array.from({ length: 99 }, (_, n) => `fixture: flood ${n}`),
    );
    // 9,901 flood lines and the fixture's `started` line.
    expect(lines[100]).toBe('… 9902 stderr lines dropped');
  });
});

describe('stderr lines of a child', () => {
  const collect = () => {
    const clock = new VirtualTimeScheduler();
    const tail: string[] = [];
    const notices: string[] = [];
    const lines = new StderrLines(clock, {
      line: (line) => tail.push(line),
      notice: (line) => notices.push(line),
    });
    return { clock, tail, notices, lines };
  };

  it('passes a budget per window on virtual time, and reports the rest when the window closes', () => {
    const { clock, tail, notices, lines } = collect();
    lines.feed(Array.from({ length: STDERR_BUDGET + 5 }, (_, n) => `a${n}\n`).join(''));
    expect(notices).toHaveLength(STDERR_BUDGET);
    expect(tail).toHaveLength(STDERR_BUDGET + 5);
    clock.flush();
    expect(clock.now()).toBe(STDERR_WINDOW_MS);
    expect(notices.at(-1)).toBe('… 5 stderr lines dropped');
    lines.feed('b\r\n');
    expect(notices.at(-1)).toBe('b');
  });

  it('cuts a long line across chunks, drops the rest of it, and goes on at its newline', () => {
    const { notices, lines } = collect();
    lines.feed('y'.repeat(MAX_STDERR_LINE - 1));
    lines.feed('yy');
    lines.feed('z'.repeat(100_000));
    lines.feed('z\nnext\nlast without a newline');
    lines.end();
    expect(notices).toEqual([
      `${'y'.repeat(MAX_STDERR_LINE)} … [cut at ${MAX_STDERR_LINE} characters]`,
      'next',
      'last without a newline',
    ]);
  });
});
