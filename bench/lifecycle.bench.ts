import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { asyncScheduler } from 'rxjs';
import { createActor } from 'xstate';

import { requestMachine, toolCallMachine } from '../dist/machines/index.js';
import { createTracker } from '../dist/src/index.js';
import { fmt, rate, type Bench } from './harness.js';
import { ImperativeTracker } from './imperativeTracker.js';

const ARGS = { to: '#ops' };
const PREPARED = { to: '#ops', body: 'hi' };
const RESULT = { outcome: 'completed', isError: false } as const;
const LIFECYCLES = 100_000;
// XState actors cost about 10x the tracker: fewer lifecycles keep a round near 0.3 s.
const ACTOR_LIFECYCLES = 10_000;
const ROUNDS = 15;

function trackedRound(): number {
  const tracker = createTracker();
  let seen = 0;
  tracker.subscribe(() => void seen++);
  tracker.beginCapture('run-1');
  const perSecond = rate(LIFECYCLES, () => {
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call' });
    const call = tracker.toolCallStarted({ request, toolName: 'send', args: ARGS });
    tracker.toolCallPrepared(call, { args: PREPARED });
    tracker.toolCallResult(call, RESULT);
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
  });
  if (seen !== 1 + 7 * LIFECYCLES || tracker.capture('run-1')?.inFlight !== 0) {
    throw new Error('tracked lifecycle did not run as expected');
  }
  return perSecond;
}

function imperativeRound(): number {
  const tracker = new ImperativeTracker();
  let seen = 0;
  tracker.begin('run-1', () => void seen++);
  const perSecond = rate(LIFECYCLES, () => {
    const request = tracker.requestStarted('run-1')!;
    tracker.requestClassified(request);
    const call = tracker.toolCallStarted(request, 'send', ARGS)!;
    tracker.toolCallPrepared(call, PREPARED);
    tracker.toolCallResult(call, RESULT.outcome);
    tracker.toolCallFinished(call);
    tracker.requestFinished(request);
  });
  if (seen !== 4 * LIFECYCLES || tracker.inFlight('run-1') !== 0) {
    throw new Error('imperative lifecycle did not run as expected');
  }
  return perSecond;
}

/**
 * The lifecycle as OpenTelemetry SDK spans: a SERVER span per request and a child INTERNAL span
 * per tool call, each step an attribute or a span event, on a provider whose processor does
 * nothing (no export, no batching): what OTel's own bookkeeping costs, the least a span-based
 * tracker could pay.
 */
function otelSpansRound(): number {
  const provider = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
  const tracer = provider.getTracer('bench');
  let ended = 0;
  const perSecond = rate(LIFECYCLES, () => {
    const request = tracer.startSpan('request', {
      kind: SpanKind.SERVER,
      attributes: { 'toolflight.capture': 'run-1', 'toolflight.generation': 1 },
    });
    request.updateName('tools/call send');
    request.setAttribute('mcp.method.name', 'tools/call');
    request.addEvent('request.classified');
    const call = tracer.startSpan(
      'execute_tool send',
      {
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'send' },
      },
      trace.setSpan(context.active(), request),
    );
    call.addEvent('toolCall.prepared');
    call.setAttribute('toolflight.prepared', true);
    call.addEvent('toolCall.result', { 'toolflight.outcome': RESULT.outcome });
    call.setAttribute('toolflight.outcome', RESULT.outcome);
    call.setStatus({ code: SpanStatusCode.OK });
    call.end();
    request.setAttribute('http.response.status_code', 200);
    request.end();
    if (!call.isRecording() && !request.isRecording()) ended++;
  });
  if (ended !== LIFECYCLES) throw new Error('span lifecycle did not run as expected');
  return perSecond;
}

/**
 * The lifecycle as live XState actors of the project's own machines: a request actor and a
 * tool-call actor per lifecycle, started and sent the same steps. No capture actor admitting
 * them (the tracker does that work too): the baseline is the listed steps and nothing more.
 */
function actorRound(): number {
  let done = 0;
  const perSecond = rate(ACTOR_LIFECYCLES, () => {
    const request = createActor(requestMachine).start();
    request.send({ type: 'CLASSIFY' });
    const call = createActor(toolCallMachine).start();
    call.send({ type: 'PREPARE' });
    call.send({ type: 'RESULT' });
    call.send({ type: 'FINISH' });
    request.send({ type: 'FINISH' });
    if (request.getSnapshot().status === 'done' && call.getSnapshot().status === 'done') done++;
  });
  if (done !== ACTOR_LIFECYCLES) throw new Error('actor lifecycle did not run as expected');
  return perSecond;
}

/** The default clock read seven times: the `at` of each event of one lifecycle. */
function clockRound(): number {
  const clock = asyncScheduler.now.bind(asyncScheduler);
  let sum = 0;
  const perSecond = rate(LIFECYCLES, () => {
    sum += clock() + clock() + clock() + clock() + clock() + clock() + clock();
  });
  if (sum <= 0) throw new Error('clock did not run');
  return perSecond;
}

const lifecycle: Bench = {
  name: 'lifecycle',
  description:
    'one full request + tool-call lifecycle through the tracker vs hand-written counters, OpenTelemetry SDK spans and live XState actors',
  run(log) {
    const tracked: number[] = [];
    const imperative: number[] = [];
    const spans: number[] = [];
    const actors: number[] = [];
    const clocks: number[] = [];
    // Warm them all up, then alternate rounds so that machine noise hits all alike.
    trackedRound();
    imperativeRound();
    otelSpansRound();
    actorRound();
    for (let round = 0; round < ROUNDS; round++) {
      tracked.push(trackedRound());
      imperative.push(imperativeRound());
      spans.push(otelSpansRound());
      actors.push(actorRound());
      clocks.push(clockRound());
    }
    // Best of the rounds: noise on a shared machine only ever adds time.
    const trackedRate = Math.max(...tracked);
    const imperativeRate = Math.max(...imperative);
    const ratio = imperativeRate / trackedRate;
    const trackedUs = 1e6 / trackedRate;
    const spansUs = 1e6 / Math.max(...spans);
    const actorsUs = 1e6 / Math.max(...actors);
    const spansRatio = trackedUs / spansUs;
    const actorsRatio = trackedUs / actorsUs;
    const clockMicros = 1e6 / Math.max(...clocks);
    log(
      `toolflight tracker   ${fmt(trackedRate)} lifecycles/s (${fmt(1e6 / trackedRate, 2)} µs each, 7 events)`,
    );
    log(
      `imperative counters  ${fmt(imperativeRate)} lifecycles/s (${fmt(1e6 / imperativeRate, 2)} µs each)`,
    );
    log(
      `of which 7 clock reads ${fmt(clockMicros, 2)} µs (the default clock, one per event); without them ${fmt((1e6 / trackedRate - clockMicros) * (imperativeRate / 1e6), 2)}x`,
    );
    log(
      `OpenTelemetry spans  ${fmt(1e6 / spansUs)} lifecycles/s (${fmt(spansUs, 2)} µs each: 2 spans, 3 span events, no-op processor)`,
    );
    log(
      `XState actors        ${fmt(1e6 / actorsUs)} lifecycles/s (${fmt(actorsUs, 2)} µs each: 2 actors started, 5 events)`,
    );
    log(`ratio                ${fmt(ratio, 2)}x the imperative cost (target <= 3)`);
    log(
      `ratio                ${fmt(spansRatio, 3)}x the OpenTelemetry spans' cost (target <= 0.5)`,
    );
    log(`ratio                ${fmt(actorsRatio, 3)}x the XState actors' cost (target < 0.1)`);
    return [
      { metric: 'ratio_vs_imperative', value: round2(ratio), unit: 'x', target: '<= 3' },
      { metric: 'ratio_vs_otel_spans', value: round3(spansRatio), unit: 'x', target: '<= 0.5' },
      {
        metric: 'ratio_vs_xstate_actors',
        value: round3(actorsRatio),
        unit: 'x',
        target: '< 0.1',
      },
      { metric: 'tracker_us', value: round2(trackedUs), unit: 'µs', target: 'report' },
      { metric: 'otel_spans_us', value: round2(spansUs), unit: 'µs', target: 'report' },
      { metric: 'xstate_actors_us', value: round2(actorsUs), unit: 'µs', target: 'report' },
    ];
  },
};

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

export default lifecycle;
