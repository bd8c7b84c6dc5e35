// @internal The projection's instruments: the MCP conventions' duration histograms (their names,
// unit and buckets, `docs/gen-ai/mcp.md`) and toolflight's own gauges, read from the projection.
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';

/** The MCP conventions' `ExplicitBucketBoundaries` for every duration, in seconds. */
export const MCP_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
];

/** What the gauges read when a reader collects. */
export interface GaugeSource {
  /** Requests and tool calls started and not finished, per capture key. */
  readonly inFlight: () => ReadonlyMap<string, number>;
  /** Outbox entries enqueued and not yet delivered or rejected, and the rejected ones. */
  readonly outbox: () => { readonly pending: number; readonly dead: number };
}

/** The histograms, each recording guarded. */
export interface ProjectionMetrics {
  readonly serverOperation: (seconds: number, attributes: Attributes) => void;
  readonly clientOperation: (seconds: number, attributes: Attributes) => void;
  readonly serverSession: (seconds: number, attributes: Attributes) => void;
  readonly idleWait: (seconds: number, attributes: Attributes) => void;
}

function duration(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] },
  });
}

/**
 * Create the instruments on `meter`. The gauges observe `source` for as long as the meter
 * provider lives: once the projection has ended, its final state (nothing in flight); the SDK
 * would go on reporting a removed callback's last value, which would be stale. A recording
 * that throws (a provider's bug) goes to `report`, never to the event's path.
 */
export function createProjectionMetrics(
  meter: Meter,
  source: GaugeSource,
  report: (error: unknown) => void,
): ProjectionMetrics {
  const server = duration(
    meter,
    'mcp.server.operation.duration',
    'MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent.',
  );
  const client = duration(
    meter,
    'mcp.client.operation.duration',
    'The duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received.',
  );
  const session = duration(
    meter,
    'mcp.server.session.duration',
    'The duration of the MCP session as observed on the MCP server.',
  );
  const idle = duration(
    meter,
    'toolflight.idle_wait.duration',
    'How long a host waited for a capture to go idle, and whether it did.',
  );
  const inFlight = meter.createObservableGauge('toolflight.inflight', {
    description: 'Requests and tool calls started and not finished, per capture.',
    unit: '{operation}',
  });
  const pending = meter.createObservableGauge('toolflight.outbox.pending', {
    description: 'Outbox writes enqueued and not yet delivered or rejected.',
    unit: '{write}',
  });
  const dead = meter.createObservableGauge('toolflight.outbox.dead_letters', {
    description: 'Outbox writes rejected for good, until a retry delivers them.',
    unit: '{write}',
  });
  inFlight.addCallback((result) => {
    for (const [capture, count] of source.inFlight()) {
      result.observe(count, { 'toolflight.capture': capture });
    }
  });
  pending.addCallback((result) => result.observe(source.outbox().pending));
  dead.addCallback((result) => result.observe(source.outbox().dead));
  const recorder =
    (histogram: Histogram) =>
    (seconds: number, attributes: Attributes): void => {
      try {
        histogram.record(seconds, attributes);
      } catch (error) {
        report(error);
      }
    };
  return {
    serverOperation: recorder(server),
    clientOperation: recorder(client),
    serverSession: recorder(session),
    idleWait: recorder(idle),
  };
}
