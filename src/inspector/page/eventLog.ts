// @internal The page's copy of the stream, with the indexes every view reads.
import {
  requestTable,
  RequestEvent,
  toolCallTable,
  ToolCallEvent,
} from '../../../machines/compiledTables.js';
import type { ToolflightEvent } from '../../events/types.js';
import { maskSecrets } from '../../events/maskSecrets.js';

/**
 * The outcome an event settles for its entity, if it settles one. A tool call's is its
 * `toolCall.result`'s. A request has none of its own: `request.finished` makes it `failed`
 * when the agent was answered with a JSON-RPC error or an HTTP status of 400 or more, else
 * `completed`.
 */
export function settledOutcome(event: ToolflightEvent): string | undefined {
  if (event.type === 'toolCall.result') return event.data.outcome;
  if (event.type !== 'request.finished') return undefined;
  const failed = event.data.error !== undefined || (event.data.status ?? 0) >= 400;
  return failed ? 'failed' : 'completed';
}

/** One request or tool call as the whole log knows it (finished ones included). */
export interface EntityInfo {
  readonly id: string;
  readonly kind: 'request' | 'toolCall';
  readonly capture: string;
  readonly gen: number;
  toolName: string | undefined;
  /** Its outcome once settled (`settledOutcome`), and when it started and finished. */
  outcome: string | undefined;
  readonly startedAt: number;
  endedAt: number | undefined;
  /** Indexes into `EventLog.events` of the entity's events, in order. */
  readonly events: number[];
}

/** One capture generation as the whole log knows it. */
export interface GenerationInfo {
  readonly key: string;
  readonly gen: number;
  /** Index of `capture.begun`. */
  readonly begun: number;
  /** Entity ids in start order. */
  readonly entities: string[];
  /** Indexes of the events that count as activity (start and finish of its entities). */
  readonly activity: number[];
}

/** An entity's state at a point of the log, stepped through the machine's compiled table. */
export interface EntityAt {
  readonly state: string;
  /** The state names it went through, first to current. */
  readonly path: readonly string[];
  readonly outcome: string | undefined;
  readonly method: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly args: Record<string, unknown> | undefined;
}

const REQUEST_STEPS: Record<string, number> = {
  'request.classified': RequestEvent.CLASSIFY,
  'request.finished': RequestEvent.FINISH,
};
const TOOL_STEPS: Record<string, number> = {
  'toolCall.prepared': ToolCallEvent.PREPARE,
  'toolCall.result': ToolCallEvent.RESULT,
  'toolCall.finished': ToolCallEvent.FINISH,
};

/** Every event received or loaded, in seq order, and what the views look up in it. */
export class EventLog {
  readonly events: ToolflightEvent[] = [];
  readonly entities = new Map<string, EntityInfo>();
  readonly generations = new Map<number, GenerationInfo>();
  readonly types = new Set<string>();
  readonly tools = new Set<string>();
  /** In flight over all captures after each event: the chart's series. */
  readonly inFlight: number[] = [];
  /** Indexes of the failure events (a settled outcome other than `completed`), ascending. */
  readonly failures: number[] = [];
  /** How many events settled an outcome or an end: the find filters' verdicts depend on it. */
  settled = 0;
  /**
   * A window of a longer log (logWindow.ts): its first `context` events are earlier ones the
   * views need (the cursor never goes among them), and `origin` is the `at` of the whole log's
   * first event, where the views' times count from.
   */
  context = 0;
  origin: number | undefined;
  private running = 0;
  private lowered: (string | undefined)[] = [];

  get length(): number {
    return this.events.length;
  }

  /** Append events in seq order; an event at or below the last seq is ignored. */
  append(event: ToolflightEvent): boolean {
    const last = this.events[this.events.length - 1];
    if (last && event.seq <= last.seq) return false;
    const index = this.events.length;
    this.events.push(event);
    this.types.add(event.type);
    if (event.type === 'capture.begun') {
      this.generations.set(event.gen, {
        key: event.capture,
        gen: event.gen,
        begun: index,
        entities: [],
        activity: [],
      });
    }
    if (event.id !== undefined && event.gen !== undefined && event.capture !== undefined) {
      let entity = this.entities.get(event.id);
      const started = event.type === 'request.started' || event.type === 'toolCall.started';
      if (!entity && started) {
        entity = {
          id: event.id,
          kind: event.type === 'request.started' ? 'request' : 'toolCall',
          capture: event.capture,
          gen: event.gen,
          toolName: undefined,
          outcome: undefined,
          startedAt: event.at,
          endedAt: undefined,
          events: [],
        };
        this.entities.set(event.id, entity);
        this.generations.get(event.gen)?.entities.push(event.id);
      }
      if (entity) {
        entity.events.push(index);
        if (event.type === 'toolCall.started' || event.type === 'toolCall.prepared') {
          entity.toolName = event.data.toolName;
          this.tools.add(event.data.toolName);
        }
        const finished = event.type === 'request.finished' || event.type === 'toolCall.finished';
        const outcome = settledOutcome(event);
        if (outcome !== undefined) {
          entity.outcome = outcome;
          if (outcome !== 'completed') this.failures.push(index);
        }
        if (finished) entity.endedAt = event.at;
        if (finished || outcome !== undefined) this.settled++;
        if (started || finished) {
          this.generations.get(entity.gen)?.activity.push(index);
          this.running += started ? 1 : -1;
        }
      }
    }
    this.inFlight.push(this.running);
    return true;
  }

  /** Forget everything (a recording was loaded instead). */
  clear(): void {
    this.events.length = 0;
    this.entities.clear();
    this.generations.clear();
    this.types.clear();
    this.tools.clear();
    this.inFlight.length = 0;
    this.failures.length = 0;
    this.settled = 0;
    this.context = 0;
    this.origin = undefined;
    this.running = 0;
    this.lowered = [];
  }

  /** The `at` the views' times count from: the whole log's first event's. */
  get t0(): number {
    return this.origin ?? this.events[0]?.at ?? 0;
  }

  /** The tool name of the entity an event is about, if it is a tool call. */
  toolOf(event: ToolflightEvent): string | undefined {
    return event.id === undefined ? undefined : this.entities.get(event.id)?.toolName;
  }

  /** The event as lower-case JSON, secrets masked, for free-text search (computed once). */
  text(index: number): string {
    let text = this.lowered[index];
    if (text === undefined) {
      // Masked first: a search must not find a secret the page never shows.
      const event = this.events[index];
      text = JSON.stringify(
        event?.data === undefined ? event : { ...event, data: maskSecrets(event.data) },
      ).toLowerCase();
      this.lowered[index] = text;
    }
    return text;
  }

  /** The entity as of the first `count` events. */
  entityAt(entity: EntityInfo, count: number): EntityAt | undefined {
    const table = entity.kind === 'request' ? requestTable : toolCallTable;
    const steps = entity.kind === 'request' ? REQUEST_STEPS : TOOL_STEPS;
    let state = table.initial;
    const path: string[] = [];
    let outcome: string | undefined;
    let method: string | undefined;
    let startedAt = 0;
    let endedAt: number | undefined;
    let args: Record<string, unknown> | undefined;
    for (const index of entity.events) {
      if (index >= count) break;
      const event = this.events[index]!;
      if (event.type === 'request.started' || event.type === 'toolCall.started') {
        startedAt = event.at;
        path.push(table.states[state]!.value);
        if (event.type === 'toolCall.started') args = event.data.args;
        continue;
      }
      const step = steps[event.type];
      if (step === undefined) continue;
      const next = table.step(state, step);
      if (next < 0) continue; // refused by the machine: the library's fold ignores it too
      state = next;
      const value = table.states[state]!.value;
      if (path[path.length - 1] !== value) path.push(value);
      if (event.type === 'toolCall.result') outcome = event.data.outcome;
      if (event.type === 'toolCall.prepared') args = event.data.args;
      if (event.type === 'request.classified') method = event.data.method;
      if (table.states[state]!.final) endedAt = event.at;
    }
    if (path.length === 0) return undefined;
    return { state: table.states[state]!.value, path, outcome, method, startedAt, endedAt, args };
  }
}
