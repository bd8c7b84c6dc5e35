import type { ToolArgs, Tracker } from '../dist/src/index.js';

const ARGS: ToolArgs = { to: '#ops' };

/** One full lifecycle (7 events): a request carrying a prepared tool call that completes. */
export function lifecycle(tracker: Tracker, key: string, args: ToolArgs = ARGS): void {
  const request = tracker.requestStarted(key);
  tracker.requestClassified(request, { method: 'tools/call' });
  const call = tracker.toolCallStarted({ request, toolName: 'send', args });
  tracker.toolCallPrepared(call, { args });
  tracker.toolCallResult(call, { outcome: 'completed', isError: false, result: { ok: true } });
  tracker.toolCallFinished(call);
  tracker.requestFinished(request, { status: 200 });
}
