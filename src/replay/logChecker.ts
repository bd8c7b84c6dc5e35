import {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from '../../machines/compiledTables.js';
import type { ToolflightEvent } from '../events/types.js';
import { applyLocated, initialCapturesState } from '../projections/captures.js';
import type { Violation, ViolationRule } from './violation.js';
import type {
  CapturesState,
  EntityRecord,
  GenerationRecord,
} from '../projections/captureRecords.js';

/** Options of {@link createLogChecker}. */
export interface LogCheckerOptions {
  /** The seq the log must start at. Default 1. */
  readonly firstSeq?: number;
  /** The projection to fold into (a tracker hydrating from history passes its own). */
  readonly state?: CapturesState;
}

/** Folds a log through the machines, refusing (and explaining) what they would refuse. */
export interface LogChecker {
  /** The projection of every event accepted so far. */
  readonly state: CapturesState;
  /**
   * Check one event and fold it in. Returns what it breaks (empty when nothing): an event that
   * breaks a machine is skipped; a seq gap is reported and the event still applied.
   */
  readonly apply: (event: ToolflightEvent) => readonly Violation[];
}

interface Known {
  readonly key: string;
  cleared: boolean;
}

/** When an entity retired: its seq, negative when its capture was cleared, positive when it finished. */
type Retired = number;
const retiredAt = (retired: Retired) => Math.abs(retired);
const wasCleared = (retired: Retired) => retired < 0;

/**
 * How many finished or cleared entities the checker remembers, to tell "finished at seq N" from
 * "never started". Bounded so that checking a long log runs in bounded memory.
 */
export const RETIRED_MEMORY = 10_000;

const NONE: readonly Violation[] = Object.freeze([]);

const isViolation = (value: Violation | GenerationRecord): value is Violation => 'rule' in value;

const ENTITY_EVENTS: Readonly<
  Record<string, readonly [kind: 'request' | 'toolCall', event: number]>
> = {
  'request.classified': ['request', RequestEvent.CLASSIFY],
  'request.finished': ['request', RequestEvent.FINISH],
  'toolCall.prepared': ['toolCall', ToolCallEvent.PREPARE],
  'toolCall.result': ['toolCall', ToolCallEvent.RESULT],
  'toolCall.finished': ['toolCall', ToolCallEvent.FINISH],
};

/**
 * Verify a log while folding it: every event must be a transition its machine allows from the
 * state the earlier events put it in, seq must run 1, 2, 3…, generations and ids are never reused.
 * The projection it builds is the one live tracking builds from the same events.
 */
export function createLogChecker(options: LogCheckerOptions = {}): LogChecker {
  const state = options.state ?? initialCapturesState();
  const generations = new Map<number, Known>();
  const retired = new Map<string, Retired>();
  let lastSeq = (options.firstSeq ?? 1) - 1;
  // What the checks of the current event located, for the fold that follows them.
  let foundGeneration: GenerationRecord | undefined;
  let foundEntity: EntityRecord | undefined;
  let started = false;
  // The last `log.gap`: an event about an entity that started in it cannot be checked.
  let gap: { readonly from: number; readonly through: number } | undefined;
  const inGap = () =>
    gap ? ` (it may have started in the gap, seq ${gap.from} to ${gap.through})` : '';

  const violation = (
    event: ToolflightEvent,
    rule: ViolationRule,
    message: string,
    entity = event.id,
  ): Violation => ({
    seq: event.seq,
    rule,
    ...(entity === undefined ? {} : { entity }),
    message: `seq ${event.seq} (${event.type}${entity === undefined ? '' : ` ${entity}`}): ${message}`,
  });

  function checkSeq(event: ToolflightEvent): Violation | undefined {
    if (!started && event.seq !== lastSeq + 1) {
      started = true;
      const at = lastSeq + 1;
      lastSeq = event.seq;
      return violation(event, 'seq-start', `the log starts at seq ${event.seq}, not ${at}`);
    }
    started = true;
    if (event.seq <= lastSeq) {
      return violation(
        event,
        'seq-order',
        `seq repeats or goes back (the previous event was seq ${lastSeq})`,
      );
    }
    if (event.seq > lastSeq + 1) {
      const missing = event.seq - lastSeq - 1;
      const gap = violation(
        event,
        'seq-gap',
        `seq jumps from ${lastSeq} to ${event.seq}: ${missing} event${missing === 1 ? ' is' : 's are'} missing`,
      );
      lastSeq = event.seq;
      return gap;
    }
    lastSeq = event.seq;
    return undefined;
  }

  function checkGeneration(event: ToolflightEvent & { gen: number }): Violation | GenerationRecord {
    const known = generations.get(event.gen);
    const label = () => `capture ${String(event.capture)} gen ${event.gen}`;
    if (!known) return violation(event, 'unknown-capture', `${label()} was never begun${inGap()}`);
    if (known.key !== event.capture) {
      return violation(
        event,
        'wrong-generation',
        `gen ${event.gen} belongs to capture ${known.key}`,
      );
    }
    if (known.cleared) return violation(event, 'capture-cleared', `${label()} was cleared`);
    const record = state.byGen.get(event.gen);
    // A superseded generation that drained has left the projection: it admits nothing more.
    if (!record) return violation(event, 'not-current', `${label()} was replaced and has drained`);
    foundGeneration = record;
    return record;
  }

  function checkStart(event: ToolflightEvent & { gen: number; id: string }): Violation | undefined {
    const generation = checkGeneration(event);
    if (isViolation(generation)) return generation;
    if (captureTable.step(generation.state, CaptureEvent.ADMIT) < 0) {
      return violation(event, 'capture-cleared', `capture ${generation.key} admits nothing more`);
    }
    if (retired.has(event.id) || state.entities?.has(event.id)) {
      return violation(event, 'id-reused', `id ${event.id} was used before`);
    }
    const request = event.type === 'toolCall.started' ? event.data.request : undefined;
    if (request !== undefined) {
      const live = state.entities?.get(request);
      if (live?.kind === 'request' && live.gen !== event.gen) {
        return violation(
          event,
          'wrong-generation',
          `its request ${request} belongs to gen ${live.gen}, not ${event.gen}`,
        );
      }
      if (!live || live.kind !== 'request') {
        const gone = retired.get(request);
        return violation(
          event,
          'request-finished',
          gone !== undefined
            ? `its request ${request} ${wasCleared(gone) ? 'was cleared' : 'had finished'} at seq ${retiredAt(gone)}`
            : `its request ${request} is not live in gen ${event.gen}`,
        );
      }
    } else if (!generation.current) {
      return violation(
        event,
        'not-current',
        `capture ${generation.key} gen ${event.gen} was replaced by a newer generation`,
      );
    }
    return undefined;
  }

  function checkEntity(
    event: ToolflightEvent & { gen: number; id: string },
  ): Violation | undefined {
    const [kind, transition] = ENTITY_EVENTS[event.type]!;
    const entity: EntityRecord | undefined = state.entities?.get(event.id);
    foundEntity = entity;
    const generation = checkGeneration(event);
    if (!entity) {
      const gone = retired.get(event.id);
      if (gone === undefined) {
        return violation(
          event,
          'not-started',
          `${event.id} is not live: it was never started (or retired more than ${RETIRED_MEMORY} entities earlier)${inGap()}`,
        );
      }
      if (wasCleared(gone))
        return violation(
          event,
          'capture-cleared',
          `its capture was cleared at seq ${retiredAt(gone)}`,
        );
      return violation(
        event,
        'already-finished',
        `${event.id} finished at seq ${retiredAt(gone)}; nothing follows a finish`,
      );
    }
    if (entity.kind !== kind)
      return violation(event, 'wrong-kind', `${event.id} is a ${entity.kind}`);
    if (entity.gen !== event.gen) {
      return violation(
        event,
        'wrong-generation',
        `${event.id} belongs to gen ${entity.gen}, not ${event.gen}`,
      );
    }
    if (isViolation(generation)) return generation;
    const table = kind === 'request' ? requestTable : toolCallTable;
    if (table.step(entity.stateIndex, transition) < 0) {
      return violation(
        event,
        'machine',
        `the ${kind} machine in state ${table.describe(entity.stateIndex)} refuses ${table.events[transition]}`,
      );
    }
    return undefined;
  }

  function check(event: ToolflightEvent): Violation | undefined {
    switch (event.type) {
      case 'capture.begun':
        if (generations.has(event.gen))
          return violation(
            event,
            'gen-reused',
            `gen ${event.gen} was begun before`,
            `${event.capture} gen ${event.gen}`,
          );
        return undefined;
      case 'capture.cleared': {
        const generation = checkGeneration(event);
        if (isViolation(generation)) return generation;
        if (!generation.current)
          return violation(
            event,
            'not-current',
            `only the current generation of ${event.capture} can be cleared`,
          );
        return undefined;
      }
      case 'capture.yielded': {
        // A replaced generation still takes yields from its own requests until it is cleared.
        const known = generations.get(event.gen);
        if (known && known.key === event.capture && !known.cleared) return undefined;
        const generation = checkGeneration(event);
        return isViolation(generation) ? generation : undefined;
      }
      case 'log.gap': {
        const { through, reason } = event.data;
        if (!Number.isSafeInteger(through) || through < event.seq) {
          return violation(
            event,
            'log-gap',
            `a gap must end at or after its own seq, not at ${through}`,
          );
        }
        gap = { from: event.seq, through };
        lastSeq = through;
        return violation(
          event,
          'log-gap',
          `seq ${event.seq} to ${through} were not recorded (${reason}): the log is incomplete`,
        );
      }
      case 'request.started':
      case 'toolCall.started':
        return checkStart(event);
      case 'request.classified':
      case 'request.finished':
      case 'toolCall.prepared':
      case 'toolCall.result':
      case 'toolCall.finished':
        return checkEntity(event);
      default:
        return undefined;
    }
  }

  // The retired ids in the order they retired, as a ring: the slot to overwrite next holds the
  // oldest. (Deleting a Map's first key instead walks over every earlier deletion: quadratic.)
  const retiredOrder: string[] = [];
  let oldest = 0;

  function retire(id: string, how: Retired): void {
    retired.set(id, how);
    if (retiredOrder.length < RETIRED_MEMORY) {
      retiredOrder.push(id);
      return;
    }
    retired.delete(retiredOrder[oldest]!);
    retiredOrder[oldest] = id;
    oldest = (oldest + 1) % RETIRED_MEMORY;
  }

  function remember(event: ToolflightEvent): void {
    switch (event.type) {
      case 'capture.begun':
        generations.set(event.gen, { key: event.capture, cleared: false });
        return;
      case 'capture.cleared': {
        const generation = state.byGen.get(event.gen);
        for (const entity of [...(generation?.requests ?? []), ...(generation?.toolCalls ?? [])]) {
          retire(entity.id, -event.seq);
        }
        generations.get(event.gen)!.cleared = true;
        return;
      }
      case 'request.finished':
      case 'toolCall.finished':
        retire(event.id, event.seq);
        return;
      default:
        return;
    }
  }

  return {
    state,
    apply(event) {
      foundGeneration = undefined;
      foundEntity = undefined;
      const seqProblem = checkSeq(event);
      if (seqProblem?.rule === 'seq-order') return [seqProblem];
      const problem = check(event);
      if (problem) return seqProblem ? [seqProblem, problem] : [problem];
      remember(event);
      // The checks located what the event touches; fold it without looking it up again.
      applyLocated(state, event, foundGeneration, foundEntity);
      return seqProblem ? [seqProblem] : NONE;
    },
  };
}
