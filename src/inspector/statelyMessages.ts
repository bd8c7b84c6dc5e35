// @internal The pure half of the Stately adapter: toolflight events in, `@statelyai/inspect`
// inspection messages out. It folds the events with the library's own log checker and reads
// each actor's state and context from the projection, so a recording and a live tracker give the
// same messages and only transitions the machines accept are sent.
import type {
  StatelyActorEvent,
  StatelyEventEvent,
  StatelyInspectionEvent,
  StatelySnapshotEvent,
} from '@statelyai/inspect';

import { captureMachine } from '../../machines/capture.js';
import { requestMachine } from '../../machines/request.js';
import type { TransitionTable } from '../../machines/compileMachine.js';
import { captureTable, requestTable, toolCallTable } from '../../machines/compiledTables.js';
import { toolCallMachine } from '../../machines/toolCall.js';
import { maskSecrets } from '../events/maskSecrets.js';
import type { ToolflightEvent } from '../events/types.js';
import { createLogChecker } from '../replay/logChecker.js';
import type { EntityRecord, GenerationRecord } from '../projections/captureRecords.js';

/** The protocol version the messages claim: the `@statelyai/inspect` release they follow. */
const PROTOCOL_VERSION = '0.7.2';

/** The Stately session id of a request or tool call (`toolflight:tc_4`). */
export const entitySessionId = (id: string): string => `toolflight:${id}`;

/** The Stately session id of a capture generation (generations are unique per log). */
export const captureSessionId = (gen: number): string => `toolflight:capture:${gen}`;

// Sent once per actor so that Stately can draw the machine; the configs are plain JSON.
const DEFINITIONS = {
  capture: JSON.stringify(captureMachine.config),
  request: JSON.stringify(requestMachine.config),
  toolCall: JSON.stringify(toolCallMachine.config),
};

type Kind = keyof typeof DEFINITIONS;

const TABLES: Record<Kind, TransitionTable> = {
  capture: captureTable,
  request: requestTable,
  toolCall: toolCallTable,
};

/** What a snapshot shows of the actor an event moved: its machine, state index and context. */
interface Moved {
  readonly kind: Kind;
  readonly sessionId: string;
  readonly rootId: string;
  readonly state: number;
  readonly context: Record<string, unknown>;
}

/** The machine event behind each accepted toolflight transition. */
const TRANSITIONS: Partial<Record<ToolflightEvent['type'], string>> = {
  'capture.yielded': 'YIELD',
  'capture.cleared': 'CLEAR',
  'request.classified': 'CLASSIFY',
  'request.finished': 'FINISH',
  'toolCall.prepared': 'PREPARE',
  'toolCall.result': 'RESULT',
  'toolCall.finished': 'FINISH',
};

/** The context Stately shows for a request or tool call, read from its projection record. */
function contextOf(record: EntityRecord, event: ToolflightEvent): Record<string, unknown> {
  if (record.kind === 'request') {
    return {
      ...(record.method === undefined ? {} : { method: record.method }),
      ...(event.type === 'request.finished' ? { status: event.data.status } : {}),
    };
  }
  return {
    toolName: record.toolName,
    prepared: toolCallTable.states[record.stateIndex]!.context.prepared === true,
    ...(record.outcome === undefined ? {} : { outcome: record.outcome }),
  };
}

/** Turns toolflight events, in seq order, into Stately inspection messages. */
export type StatelyMapper = (event: ToolflightEvent) => StatelyInspectionEvent[];

/**
 * A fresh mapper. Each capture generation, request and tool call becomes an actor; each accepted
 * transition becomes an `@xstate.event` and an `@xstate.snapshot` of the actor it moved.
 * Events of other types, of actors it never saw begin, or that the machine refuses map to none.
 */
export function createStatelyMapper(): StatelyMapper {
  // The library's own checking fold decides what was accepted and holds every actor's state.
  const checker = createLogChecker();
  const { state } = checker;

  const snapshotOf = (moved: Moved) => {
    const machineState = TABLES[moved.kind].states[moved.state]!;
    return {
      status: machineState.final ? ('done' as const) : ('active' as const),
      value: machineState.value,
      context: moved.context,
    };
  };

  const actorMessage = (
    moved: Moved,
    parentId: string | undefined,
    name: string,
    event: ToolflightEvent,
  ): StatelyActorEvent => ({
    type: '@xstate.actor',
    name,
    sessionId: moved.sessionId,
    parentId,
    rootId: moved.rootId,
    definition: DEFINITIONS[moved.kind],
    snapshot: snapshotOf(moved),
    id: `${event.seq}:actor`,
    createdAt: String(event.at),
    _version: PROTOCOL_VERSION,
  });

  /** The `@xstate.event` and `@xstate.snapshot` of one accepted transition. */
  const transitionMessages = (
    moved: Moved,
    type: string,
    event: ToolflightEvent,
  ): StatelyInspectionEvent[] => {
    const payload = {
      type,
      toolflight: event.type,
      seq: event.seq,
      ...(event.data === undefined ? {} : { data: maskSecrets(event.data) as unknown }),
    };
    const base = {
      sessionId: moved.sessionId,
      rootId: moved.rootId,
      createdAt: String(event.at),
      _version: PROTOCOL_VERSION,
    };
    const sent: StatelyEventEvent = {
      ...base,
      type: '@xstate.event',
      event: payload,
      sourceId: undefined,
      id: `${event.seq}:event`,
    };
    const snapshot: StatelySnapshotEvent = {
      ...base,
      type: '@xstate.snapshot',
      event: payload,
      // xstate's `Snapshot` type wants output and error; Stately reads status, value, context.
      snapshot: snapshotOf(moved) as unknown as StatelySnapshotEvent['snapshot'],
      id: `${event.seq}:snapshot`,
    };
    return [sent, snapshot];
  };

  const captureMoved = (generation: Pick<GenerationRecord, 'key' | 'gen' | 'state'>): Moved => {
    const root = captureSessionId(generation.gen);
    return {
      kind: 'capture',
      sessionId: root,
      rootId: root,
      state: generation.state,
      context: { key: generation.key, gen: generation.gen },
    };
  };

  const entityMoved = (record: EntityRecord, event: ToolflightEvent): Moved => ({
    kind: record.kind,
    sessionId: entitySessionId(record.id),
    rootId: captureSessionId(record.gen),
    state: record.stateIndex,
    context: contextOf(record, event),
  });

  return (event) => {
    // Located before the fold: a finished entity leaves the projection, its record stays here.
    const generation = event.gen === undefined ? undefined : state.byGen.get(event.gen);
    const entity = event.id === undefined ? undefined : state.entities?.get(event.id);
    const refused = checker
      .apply(event)
      .some((violation) => violation.rule !== 'seq-gap' && violation.rule !== 'seq-start');
    if (refused || event.gen === undefined) return [];
    switch (event.type) {
      case 'capture.begun': {
        const begun = state.byGen.get(event.gen)!;
        const name = `capture ${event.capture} #${event.gen}`;
        return [actorMessage(captureMoved(begun), undefined, name, event)];
      }
      case 'request.started':
      case 'toolCall.started': {
        const record = state.entities!.get(event.id)!;
        const parent =
          event.type === 'toolCall.started' && event.data.request
            ? entitySessionId(event.data.request)
            : captureSessionId(event.gen);
        const name =
          event.type === 'toolCall.started'
            ? `toolCall ${event.id} ${event.data.toolName}`
            : `request ${event.id}`;
        return [
          ...(generation ? transitionMessages(captureMoved(generation), 'ADMIT', event) : []),
          actorMessage(entityMoved(record, event), parent, name, event),
        ];
      }
      default: {
        const type = TRANSITIONS[event.type];
        if (!type) return [];
        if (event.type.startsWith('capture.')) {
          // A replaced generation that has drained has left the projection but still takes
          // yields from its requests until it is cleared: it is active, whatever was looked up.
          const yielding =
            event.type === 'capture.yielded'
              ? { key: event.capture, gen: event.gen, state: captureTable.initial }
              : undefined;
          const moved = generation ?? yielding;
          return moved ? transitionMessages(captureMoved(moved), type, event) : [];
        }
        return entity ? transitionMessages(entityMoved(entity, event), type, event) : [];
      }
    }
  };
}
