import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

import {
  createTracker,
  type ToolArgs,
  type ToolCallOutcome,
  type ToolflightEvent,
  type Tracker,
} from '../index.js';
import type { CliIo, Command } from './io.js';

const KEY = 'demo-run';
const IDLE = { timeoutMs: 5000, admissionGraceMs: 250 };

interface Step {
  readonly toolName: string;
  readonly args: ToolArgs;
  /** Milliseconds the tool takes. */
  readonly ms: number;
  readonly outcome: ToolCallOutcome;
  readonly startAfterMs: number;
}

/** What the scripted agent does: concurrent calls, a slow one, a failure, a blocked one. */
const SCRIPT: readonly Step[] = [
  {
    toolName: 'search',
    args: { query: 'open incidents' },
    ms: 40,
    outcome: 'completed',
    startAfterMs: 0,
  },
  {
    toolName: 'deploy',
    args: { service: 'api', env: 'prod' },
    ms: 420,
    outcome: 'completed',
    startAfterMs: 10,
  },
  {
    toolName: 'send',
    args: { to: '#ops', text: 'deploying api' },
    ms: 60,
    outcome: 'failed',
    startAfterMs: 20,
  },
  {
    toolName: 'delete_branch',
    args: { branch: 'main' },
    ms: 0,
    outcome: 'blocked',
    startAfterMs: 30,
  },
  // Arrives after the host started waiting: restarts the quiet window.
  {
    toolName: 'send',
    args: { to: '#ops', text: 'api deployed' },
    ms: 30,
    outcome: 'completed',
    startAfterMs: 520,
  },
];

/** One agent request carrying one tool call, with the host's hook deciding its final args. */
async function agentCall(tracker: Tracker, step: Step): Promise<void> {
  await delay(step.startAfterMs);
  const request = tracker.requestStarted(KEY);
  await delay(5); // the body is still uploading: the capture counts as busy
  tracker.requestClassified(request, { method: 'tools/call' });
  const call = tracker.toolCallStarted({ request, toolName: step.toolName, args: step.args });
  if (step.outcome === 'blocked') {
    tracker.toolCallResult(call, { outcome: 'blocked', isError: true, reason: 'protected branch' });
  } else {
    // A beforeToolCall hook stamps an idempotency key into the final arguments.
    tracker.toolCallPrepared(call, {
      args: { ...step.args, idempotencyKey: `k-${call?.id ?? ''}` },
    });
    await delay(step.ms);
    const failed = step.outcome === 'failed';
    tracker.toolCallResult(call, {
      outcome: step.outcome,
      isError: failed,
      ...(failed ? { reason: 'channel is archived' } : { result: { ok: true } }),
    });
  }
  tracker.toolCallFinished(call);
  tracker.requestFinished(request, { status: 200 });
}

function describe(event: ToolflightEvent): string {
  switch (event.type) {
    case 'toolCall.started':
    case 'toolCall.prepared':
      return `${event.data.toolName} ${JSON.stringify(event.data.args)}`;
    case 'toolCall.result':
      return `${event.data.outcome}${event.data.reason ? ` (${event.data.reason})` : ''}`;
    case 'toolCall.finished':
      return `prepared=${event.data.prepared}`;
    case 'request.classified':
      return event.data.method ?? '';
    case 'request.finished':
      return event.data.status === undefined ? '' : `status ${event.data.status}`;
    case 'observer.failed':
      return `${event.data.hook}: ${event.data.message}`;
    default:
      return '';
  }
}

/** `toolflight demo`: a scripted agent against a live tracker, printed as it happens. */
export const demo: Command = async (args, io: CliIo) => {
  try {
    parseArgs({ args: [...args], options: {} });
  } catch (error) {
    io.err(`toolflight demo: ${(error as Error).message}`);
    return 2;
  }
  const tracker = createTracker();
  const origin = Date.now();
  let waiting = false;
  const outcomes = new Map<
    string,
    { tool: string; outcome?: string; prepared?: boolean; start: number; end?: number }
  >();

  tracker.subscribe((event) => {
    const capture = tracker.capture(KEY);
    const idle = !waiting
      ? 'not waiting'
      : capture && capture.inFlight > 0
        ? 'busy'
        : `waiting ${IDLE.admissionGraceMs} ms grace`;
    const id = event.id ?? '';
    io.out(
      `${String(event.at - origin).padStart(5)} ms  ${event.type.padEnd(18)} ${id.padEnd(5)} ${describe(event).padEnd(58)} | in flight ${capture?.inFlight ?? 0} · activity ${capture?.activityVersion ?? 0} · idle? ${idle}`,
    );
    if (event.type === 'toolCall.started') {
      outcomes.set(event.id, { tool: event.data.toolName, start: event.at });
    }
    const row = event.id === undefined ? undefined : outcomes.get(event.id);
    if (row && event.type === 'toolCall.result') row.outcome = event.data.outcome;
    if (row && event.type === 'toolCall.finished') {
      row.prepared = event.data.prepared;
      row.end = event.at;
    }
  });

  io.out(
    `toolflight demo: a scripted agent makes ${SCRIPT.length} tool calls in capture "${KEY}"\n`,
  );
  tracker.beginCapture(KEY, {
    onToolCallResult: (call, result) => {
      // An observer that breaks: the call's outcome is untouched and the failure is logged.
      if (result.outcome === 'failed')
        throw new Error(`alerting is down, could not page for ${call.toolName}`);
    },
  });

  const agent = Promise.all(SCRIPT.map((step) => agentCall(tracker, step)));
  // The host waits for idle once the first burst is out, as a gateway does when the CLI exits.
  await delay(480);
  waiting = true;
  const waitStart = Date.now();
  const idle = await tracker.waitForIdle(KEY, IDLE);
  await agent;
  io.out(`\nwaitForIdle(${JSON.stringify(IDLE)}) -> ${idle} after ${Date.now() - waitStart} ms`);

  io.out(`\n${'tool call'.padEnd(22)}${'outcome'.padEnd(12)}${'prepared'.padEnd(10)}duration`);
  for (const [id, row] of outcomes) {
    const duration = row.end === undefined ? '-' : `${row.end - row.start} ms`;
    io.out(
      `${`${id} ${row.tool}`.padEnd(22)}${(row.outcome ?? '-').padEnd(12)}${String(row.prepared).padEnd(10)}${duration}`,
    );
  }
  io.out('\nfinal projection:');
  io.out(JSON.stringify(tracker.snapshot(), null, 2));
  tracker.clearCapture(KEY);
  return idle ? 0 : 1;
};
