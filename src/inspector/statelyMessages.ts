// @internal The pure half of the Stately adapter: toolflight events in, `@statelyai/inspect`
// inspection messages out. It folds only what the messages need (each entity's table state and
// a small context), so a recording and a live tracker give the same messages.
import type {
  StatelyActorEvent,
  StatelyEventEvent,
  StatelyInspectionEvent,
  StatelySnapshotEvent,
} from '@statelyai/inspect';

import { captureMachine } from '../../machines/capture.js';
import { requestMachine } from '../../machines/request.js';
import type { TransitionTable } from '../../machines/table.js';
import {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from '../../machines/tables.js';
import { toolCallMachine } from '../../machines/toolCall.js';
import { maskSecrets } from '../events/maskSecrets.js';
import type { ToolflightEvent } from '../events/types.js';

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

interface Actor {
  readonly kind: Kind;
  readonly sessionId: string;
  readonly rootId: string;
  state: number;
  context: Record<string, unknown>;
}

/** The machine event and the table index behind each accepted toolflight transition. */
const TRANSITIONS: Partial<Record<ToolflightEvent['type'], readonly [string, number]>> = {
  'capture.yielded': ['YIELD', CaptureEvent.YIELD],
  'capture.cleared': ['CLEAR', CaptureEvent.CLEAR],
  'request.classified': ['CLASSIFY', RequestEvent.CLASSIFY],
  'request.finished': ['FINISH', RequestEvent.FINISH],
  'toolCall.prepared': ['PREPARE', ToolCallEvent.PREPARE],
  'toolCall.result': ['RESULT', ToolCallEvent.RESULT],
  'toolCall.finished': ['FINISH', ToolCallEvent.FINISH],
};

/** Turns toolflight events, in seq order, into Stately inspection messages. */
export type StatelyMapper = (event: ToolflightEvent) => StatelyInspectionEvent[];

/**
 * A fresh mapper. Each capture generation, request and tool call becomes an actor; each accepted
 * transition becomes an `@xstate.event` and an `@xstate.snapshot` of the actor it moved.
 * Events of other types, of actors it never saw begin, or that the machine refuses map to none.
 */
export function createStatelyMapper(): StatelyMapper {
  const actors = new Map<string, Actor>();

  const snapshotOf = (actor: Actor) => {
    const state = TABLES[actor.kind].states[actor.state]!;
    return {
      status: state.final ? ('done' as const) : ('active' as const),
      value: state.value,
      context: { ...actor.context },
    };
  };

  const register = (
    kind: Kind,
    sessionId: string,
    rootId: string,
    parentId: string | undefined,
    name: string,
    context: Record<string, unknown>,
    event: ToolflightEvent,
  ): StatelyActorEvent => {
    const actor: Actor = { kind, sessionId, rootId, state: TABLES[kind].initial, context };
    actors.set(sessionId, actor);
    return {
      type: '@xstate.actor',
      name,
      sessionId,
      parentId,
      rootId,
      definition: DEFINITIONS[kind],
      snapshot: snapshotOf(actor),
      id: `${event.seq}:actor`,
      createdAt: String(event.at),
      _version: PROTOCOL_VERSION,
    };
  };

  /** The `@xstate.event` and `@xstate.snapshot` of one transition; none when refused. */
  const move = (
    actor: Actor | undefined,
    type: string,
    index: number,
    event: ToolflightEvent,
    update: (context: Record<string, unknown>) => void = () => {},
  ): StatelyInspectionEvent[] => {
    if (!actor) return [];
    const next = TABLES[actor.kind].step(actor.state, index);
    if (next < 0) return [];
    actor.state = next;
    update(actor.context);
    // A finished actor takes no more events: forget it, so a long live run stays bounded.
    if (TABLES[actor.kind].states[next]!.final) actors.delete(actor.sessionId);
    const payload = {
      type,
      toolflight: event.type,
      seq: event.seq,
      ...(event.data === undefined ? {} : { data: maskSecrets(event.data) as unknown }),
    };
    const base = {
      sessionId: actor.sessionId,
      rootId: actor.rootId,
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
      snapshot: snapshotOf(actor) as unknown as StatelySnapshotEvent['snapshot'],
      id: `${event.seq}:snapshot`,
    };
    return [sent, snapshot];
  };

  return (event) => {
    if (event.gen === undefined) return [];
    const root = captureSessionId(event.gen);
    const capture = actors.get(root);
    switch (event.type) {
      case 'capture.begun':
        return [
          register(
            'capture',
            root,
            root,
            undefined,
            `capture ${event.capture} #${event.gen}`,
            { key: event.capture, gen: event.gen },
            event,
          ),
        ];
      case 'request.started':
        return [
          ...move(capture, 'ADMIT', CaptureEvent.ADMIT, event),
          register(
            'request',
            entitySessionId(event.id),
            root,
            root,
            `request ${event.id}`,
            {},
            event,
          ),
        ];
      case 'toolCall.started': {
        const parent = event.data.request ? entitySessionId(event.data.request) : root;
        return [
          ...move(capture, 'ADMIT', CaptureEvent.ADMIT, event),
          register(
            'toolCall',
            entitySessionId(event.id),
            root,
            parent,
            `toolCall ${event.id} ${event.data.toolName}`,
            { toolName: event.data.toolName, prepared: false },
            event,
          ),
        ];
      }
      default: {
        const transition = TRANSITIONS[event.type];
        if (!transition) return [];
        const target = event.type.startsWith('capture.')
          ? capture
          : event.id === undefined
            ? undefined
            : actors.get(entitySessionId(event.id));
        return move(target, transition[0], transition[1], event, (context) => {
          if (event.type === 'request.classified') context.method = event.data.method;
          if (event.type === 'request.finished') context.status = event.data.status;
          if (event.type === 'toolCall.prepared') {
            context.toolName = event.data.toolName;
            context.prepared = true;
          }
          if (event.type === 'toolCall.result') context.outcome = event.data.outcome;
          if (event.type === 'toolCall.finished') context.prepared = event.data.prepared;
        });
      }
    }
  };
}
