import { createTracker, type ToolCallHandle } from '../dist/src/index.js';
import { collect, fmt, type Bench } from './harness.js';
import { lifecycle } from './workload.js';

const IN_FLIGHT = 100_000;
const FINISHED = 1_000_000;
const ARGS = {};

function heap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/** Heap retained per started, unfinished tool call (handle included, as a host holds it). */
function bytesPerInflightCall(): number {
  const tracker = createTracker();
  tracker.beginCapture('run-1');
  const handles: (ToolCallHandle | undefined)[] = new Array<ToolCallHandle | undefined>(IN_FLIGHT);
  const before = heap();
  for (let i = 0; i < IN_FLIGHT; i++) {
    handles[i] = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: ARGS });
  }
  const after = heap();
  if (tracker.capture('run-1')?.inFlight !== IN_FLIGHT || handles.length !== IN_FLIGHT) {
    throw new Error('calls were not all in flight');
  }
  return (after - before) / IN_FLIGHT;
}

/** Heap after a million finished lifecycles, over the heap before them. */
function heapRatioAfterFinished(): { before: number; after: number } {
  const tracker = createTracker();
  tracker.subscribe(() => {});
  tracker.beginCapture('run-1');
  for (let i = 0; i < 10_000; i++) lifecycle(tracker, 'run-1', ARGS);
  const before = heap();
  for (let i = 0; i < FINISHED; i++) lifecycle(tracker, 'run-1', ARGS);
  const after = heap();
  if (tracker.capture('run-1')?.inFlight !== 0) throw new Error('lifecycles did not finish');
  return { before, after };
}

const memory: Bench = {
  name: 'memory',
  description: 'heap per in-flight tool call, and heap after a million finished lifecycles',
  run(log) {
    const perCall = bytesPerInflightCall();
    const { before, after } = heapRatioAfterFinished();
    const ratio = after / before;
    log(`in flight            ${fmt(perCall)} bytes per started tool call (target < 1024)`);
    log(
      `after 1M lifecycles  ${fmt(after / 2 ** 20, 1)} MiB vs ${fmt(before / 2 ** 20, 1)} MiB before: ${fmt(ratio, 3)}x (target <= 1.10)`,
    );
    return [
      {
        metric: 'bytes_per_inflight_call',
        value: Math.round(perCall),
        unit: 'B',
        target: '< 1024',
      },
      {
        metric: 'heap_ratio_after_1m',
        value: Math.round(ratio * 1000) / 1000,
        unit: 'x',
        target: '<= 1.10',
      },
    ];
  },
};

export default memory;
