// What must never hurt the host: facts of the wrong type (recordings are hostile input), a
// provider that throws, a provider on its own ids. The projection skips, reports, goes on.
import { SpanKind, type MeterProvider } from '@opentelemetry/api';
import { AlwaysOnSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ToolflightError, type RpcFacts, type ToolflightEvent } from '../../src/index.js';
import { busyRun } from './busyRun.js';
import { project, sdk, SEND_RPC, tracked } from './otelHarness.js';

/** Values of every type, where a fact of one type belongs. */
const garbage = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.double(),
  fc.constant(null),
  fc.stringMatching(/^[0-9a-f]{16}$/),
  fc.stringMatching(/^[0-9a-f]{32}$/),
);
const peerRecord = fc.record({ address: garbage, port: garbage }, { requiredKeys: [] });
const peer = fc.oneof(garbage, peerRecord);
const traceRecord = fc.record(
  {
    traceId: garbage,
    spanId: garbage,
    parent: garbage,
    flags: garbage,
    state: garbage,
    baggage: garbage,
    link: fc.oneof(garbage, fc.record({ traceId: garbage, spanId: garbage, flags: garbage })),
  },
  { requiredKeys: [] },
);
const traceFacts = fc.oneof(garbage, traceRecord);
const rpcFacts = fc.record(
  { id: garbage, session: garbage, target: garbage, uri: garbage, client: peer, trace: traceFacts },
  { requiredKeys: [] },
) as fc.Arbitrary<RpcFacts>;

/** One agent request with garbage facts, maybe a tool call and an upstream request. */
const hostileRequest = fc.record({
  method: fc.option(fc.constantFrom('tools/call', 'prompts/get', 'resources/read', 'ping')),
  rpc: fc.option(rpcFacts, { nil: undefined }),
  call: fc.option(fc.record({ result: garbage, isError: fc.boolean() })),
  // The note's own check wants objects here; what is inside them is anything.
  upstream: fc.option(fc.record({ trace: traceRecord, peer: peerRecord })),
  error: fc.option(fc.record({ code: garbage, message: garbage }, { requiredKeys: [] })),
  status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
});

describe('hostile facts', () => {
  it('never throw, report nothing, and still give one SERVER span per request', () => {
    fc.assert(
      fc.property(fc.array(hostileRequest, { minLength: 1, maxLength: 6 }), (requests) => {
        // Always sampled: a garbage trace with flags 0 would otherwise (rightly) not be recorded.
        const otel = sdk({ sampler: new AlwaysOnSampler() });
        const run = tracked();
        const errors: unknown[] = [];
        const projection = project(otel, run.tracker, {
          captureContent: true,
          onError: (error) => errors.push(error),
        });
        for (const [index, spec] of requests.entries()) {
          const { tracker } = run;
          run.at(index * 10);
          const request = tracker.requestStarted('run-1');
          tracker.requestClassified(request, {
            ...(spec.method !== null && { method: spec.method }),
            ...(spec.rpc !== undefined && { rpc: spec.rpc }),
          });
          const call = spec.call && tracker.toolCallStarted({ request, toolName: 'send' });
          if (spec.upstream) {
            tracker.note('upstream.requested', {
              server: 'up',
              method: 'tools/call',
              transport: 'tcp',
              request: request!.id,
              trace: spec.upstream.trace as never,
              peer: spec.upstream.peer as never,
            });
            tracker.note('upstream.answered', { server: 'up', span: 'x', outcome: 'result' });
          }
          if (call && spec.call) {
            tracker.toolCallResult(call, {
              outcome: 'completed',
              isError: spec.call.isError,
              result: spec.call.result,
            });
            tracker.toolCallFinished(call);
          }
          tracker.requestFinished(request, {
            ...(spec.status !== undefined && { status: spec.status }),
            ...(spec.error !== null && { error: spec.error as never }),
          });
        }
        projection.close();
        expect(errors).toEqual([]);
        expect(otel.spans().filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(
          requests.length,
        );
        expect(run.events().filter((event) => event.type === 'observer.failed')).toEqual([]);
      }),
    );
  });

  it('in a recording (any field of any event replaced by garbage) never throw or report', async () => {
    const run = tracked();
    busyRun(run);
    const log = run.events();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ index: fc.nat(), pick: fc.nat(), value: garbage }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(garbage, { maxLength: 3 }),
        async (mutations, strays) => {
          const events = JSON.parse(JSON.stringify(log)) as Fields[];
          for (const { index, pick, value } of mutations) {
            const event = events[index % events.length]!;
            // The deeper a field, the likelier it is picked: the facts spans are made of
            // (`data.rpc.trace.parent`) are where a reader is most tempted to trust a type.
            const paths = pathsOf(event).flatMap((path) => Array<string[]>(path.length).fill(path));
            setPath(event, paths[pick % paths.length]!, value);
          }
          const otel = sdk();
          const errors: unknown[] = [];
          const projection = project(otel, [...events, ...strays] as unknown as ToolflightEvent[], {
            captureContent: true,
            onError: (error) => errors.push(error),
          });
          await projection.done;
          expect(errors).toEqual([]);
          expect(projection.openSpans()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

type Fields = Record<string, unknown>;
const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every field of an event, nested objects' too (`data.rpc.trace.parent`), as key paths. */
function pathsOf(value: Fields, prefix: readonly string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, inner]) => [
    [...prefix, key],
    ...(isFields(inner) ? pathsOf(inner, [...prefix, key]) : []),
  ]);
}

function setPath(target: Fields, path: readonly string[], value: unknown): void {
  const parent = path.slice(0, -1).reduce<Fields>((at, key) => at[key] as Fields, target);
  parent[path.at(-1)!] = value;
}

/** A span processor that throws from `onStart` (so from `startSpan`) while `failing`. */
function throwingProcessor(which: 'onStart' | 'onEnd') {
  const state = { failing: true };
  const processor: SpanProcessor = {
    onStart() {
      if (which === 'onStart' && state.failing) throw new Error('exporter on fire');
    },
    onEnd() {
      if (which === 'onEnd' && state.failing) throw new Error('exporter on fire');
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  return { processor, state };
}

/** Start and finish a `tools/list` request. */
function listTools(tracker: ReturnType<typeof tracked>['tracker']): void {
  const request = tracker.requestStarted('run-1');
  tracker.requestClassified(request, { method: 'tools/list' });
  tracker.requestFinished(request, { status: 200 });
}

describe('a provider that throws', () => {
  it.each(['onStart', 'onEnd'] as const)(
    'from %s goes to onError, never to the tracker; the projection goes on',
    (which) => {
      const { processor, state } = throwingProcessor(which);
      const otel = sdk({ processors: [processor] });
      const run = tracked();
      const errors: unknown[] = [];
      const failures: unknown[] = [];
      run.tracker.errors$.subscribe((failure) => failures.push(failure));
      const projection = project(otel, run.tracker, { onError: (error) => errors.push(error) });
      listTools(run.tracker);
      expect(errors).toEqual([new Error('exporter on fire')]);
      expect(projection.openSpans()).toBe(0);
      state.failing = false;
      listTools(run.tracker);
      expect(otel.spans().map((span) => span.name)).toContain('tools/list');
      expect(failures).toEqual([]);
      expect(run.events().map((event) => event.type)).not.toContain('observer.failed');
    },
  );

  it('when asked for its tracer or meter goes to onError; the tracker is untouched', () => {
    const fail = (): never => {
      throw new Error('no provider today');
    };
    const run = tracked();
    const errors: unknown[] = [];
    project(sdk(), run.tracker, {
      tracerProvider: { getTracer: fail },
      meterProvider: { getMeter: fail } as unknown as MeterProvider,
      onError: (error) => errors.push(error),
    });
    listTools(run.tracker);
    expect(errors).toHaveLength(2);
    expect(run.events().map((event) => event.type)).not.toContain('observer.failed');
  });

  it('when recording a metric goes to onError; the spans go on', () => {
    const instrument = {
      record: () => {
        throw new Error('histogram on fire');
      },
      addCallback: () => undefined,
    };
    const meter = { createHistogram: () => instrument, createObservableGauge: () => instrument };
    const otel = sdk();
    const run = tracked();
    const errors: unknown[] = [];
    project(otel, run.tracker, {
      meterProvider: { getMeter: () => meter } as unknown as MeterProvider,
      onError: (error) => errors.push(error),
    });
    listTools(run.tracker);
    expect(errors).toEqual([new Error('histogram on fire')]);
    expect(otel.spans().map((span) => span.name)).toEqual(['tools/list']);
  });

  it('and an onError that throws too never reach the tracker', () => {
    const { processor } = throwingProcessor('onStart');
    const run = tracked();
    project(sdk({ processors: [processor] }), run.tracker, {
      onError: () => {
        throw new Error('the error channel on fire');
      },
    });
    expect(() => listTools(run.tracker)).not.toThrow();
    expect(run.events().map((event) => event.type)).not.toContain('observer.failed');
  });
});

describe('ids', () => {
  it('are reported once when the provider gives spans its own (no logIds)', async () => {
    const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
    const run = tracked();
    const errors: unknown[] = [];
    project(sdk(), run.tracker, {
      tracerProvider: new BasicTracerProvider(),
      onError: (error) => errors.push(error),
    });
    listTools(run.tracker);
    listTools(run.tracker);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ToolflightError);
    expect((errors[0] as ToolflightError).message).toMatch(/idGenerator: logIds/);
  });

  it("never leave the log's trace id to a span the host starts next on the same provider", () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    const request = run.tracker.requestStarted('run-1');
    run.tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
    // A child span: its trace is its parent's, so the SDK never asks for a trace id.
    run.tracker.toolCallStarted({ request, toolName: 'one' });
    run.tracker.toolCallStarted({ request, toolName: 'two' });
    const host = otel.tracerProvider.getTracer('host').startSpan('host work');
    host.end();
    expect(host.spanContext().traceId).not.toBe(SEND_RPC.trace!.traceId);
    expect(host.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('a recording that fails to read', () => {
  it('reports the failure, ends the spans it opened, and settles done', async () => {
    const run = tracked();
    const request = run.tracker.requestStarted('run-1');
    run.tracker.requestClassified(request, { method: 'tools/list' });
    const read = run.events();
    function* failing(): Generator<ToolflightEvent> {
      yield* read;
      throw new Error('line 4: not a JSON event');
    }
    const otel = sdk();
    const errors: unknown[] = [];
    const projection = project(otel, failing(), { onError: (error) => errors.push(error) });
    await projection.done;
    expect(errors).toEqual([new Error('line 4: not a JSON event')]);
    expect(otel.span('tools/list').attributes['toolflight.unfinished']).toBe(true);
  });
});

describe('options', () => {
  it('refuses a source that is neither a tracker nor a recording, saying what it takes', () => {
    expect(() => project(sdk(), 42 as never)).toThrow(/source must be a tracker/);
  });

  it('refuses a timeOrigin that is not a finite number', () => {
    expect(() => project(sdk(), [], { timeOrigin: Number.NaN })).toThrow(ToolflightError);
  });
});
