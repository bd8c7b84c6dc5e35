// @internal The tracker's side of the log: stamping each event with the next seq and the clock,
// appending it to the store (through the writer that holds what the store refuses), and
// publishing it on the bus.
import type { EventBus } from '../events/bus.js';
import { EVENT_VERSION, type EventOf, type ToolflightEvent } from '../events/types.js';
import type { CapturesState, GenerationRecord } from '../projections/captureRecords.js';
import type { StoreWriter } from './storeWriter.js';

/** The events that belong to an entity of a generation: they carry an `id` and `data`. */
export type EntityEventType =
  | 'capture.yielded'
  | 'request.started'
  | 'request.classified'
  | 'request.finished'
  | 'toolCall.started'
  | 'toolCall.prepared'
  | 'toolCall.result'
  | 'toolCall.finished';

/** Where an event that belongs to no machine is filed: all optional. */
export interface LooseScope {
  readonly capture?: string | undefined;
  readonly gen?: number | undefined;
  readonly id?: string | undefined;
}

/** One log of one tracker: the seq counter, the clock, the store, the bus. */
export class TrackerLog {
  constructor(
    private readonly writer: StoreWriter,
    private readonly state: CapturesState,
    private readonly bus: EventBus,
    private readonly clock: () => number,
  ) {}

  /** A `capture.begun` or `capture.cleared` of the generation `gen` of `capture`. */
  stampCapture<T extends 'capture.begun' | 'capture.cleared'>(
    type: T,
    capture: string,
    gen: number,
  ): EventOf<T> {
    const event = {
      v: EVENT_VERSION,
      seq: this.state.seq + 1,
      at: this.clock(),
      type,
      capture,
      gen,
    };
    return event as EventOf<T>;
  }

  /** The next event of entity `id` in `generation`. Every entity event has this one shape. */
  stamp<T extends EntityEventType>(
    type: T,
    generation: GenerationRecord,
    id: string,
    data: EventOf<T>['data'],
  ): EventOf<T> {
    const event = {
      v: EVENT_VERSION,
      seq: this.state.seq + 1,
      at: this.clock(),
      type,
      capture: generation.key,
      gen: generation.gen,
      id,
      data,
    };
    return event as EventOf<T>;
  }

  /** An event that belongs to no machine (`observer.failed`, a note), in canonical key order. */
  stampLoose<T extends ToolflightEvent['type']>(
    type: T,
    scope: LooseScope,
    data: unknown,
  ): Record<string, unknown> {
    const event: Record<string, unknown> = {
      v: EVENT_VERSION,
      seq: this.state.seq + 1,
      at: this.clock(),
      type,
    };
    if (scope.capture !== undefined) event.capture = scope.capture;
    if (scope.gen !== undefined) event.gen = scope.gen;
    if (scope.id !== undefined) event.id = scope.id;
    event.data = data;
    return event;
  }

  /**
   * Append to the log: the event takes the next seq and goes to the store. A store that refuses
   * it does not refuse the command (the writer holds the event and reports the failure): what
   * happened still happened, and the projection and the bus say so.
   */
  append(event: ToolflightEvent): void {
    this.writer.write(event);
    this.state.seq = event.seq;
  }

  /** Deliver an appended (and folded) event to every listener. */
  publish(event: ToolflightEvent): void {
    this.bus.publish(event);
  }
}
