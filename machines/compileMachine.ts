import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
} from 'xstate';

import {
  REFUSED,
  tableOf,
  type TableData,
  type TableState,
  type TransitionTable,
} from './transitionTable.js';

export type { TableData, TableState, TransitionTable } from './transitionTable.js';

const MAX_STATES = 256;

/**
 * Explore every snapshot reachable from the machine's initial state and record its transitions.
 *
 * Guards may read the context and the event type only, and context must stay finite (flags, not
 * payloads): the table is exact under those rules, which a model-based test checks against
 * xstate's own `transition` on every path.
 */
export function compileMachine<M extends AnyStateMachine>(
  machine: M,
  events: readonly EventFromLogic<M>['type'][],
): TransitionTable<EventFromLogic<M>['type']> {
  return tableOf(machineTable(machine, events));
}

/** The data of {@link compileMachine}'s table: what `compiled.generated.ts` holds. */
export function machineTable<M extends AnyStateMachine>(
  machine: M,
  events: readonly EventFromLogic<M>['type'][],
): TableData<EventFromLogic<M>['type']> {
  const logic: AnyStateMachine = machine;
  const [initialSnapshot] = initialTransition(logic) as [AnyMachineSnapshot, unknown];
  const keys = new Map<string, number>();
  const states: TableState[] = [];
  const snapshots: AnyMachineSnapshot[] = [];

  const indexOf = (snapshot: AnyMachineSnapshot): number => {
    const value: unknown = snapshot.value;
    if (typeof value !== 'string') {
      throw new Error(`compileMachine(${machine.id}): nested states are not supported`);
    }
    const context = (snapshot.context ?? {}) as Record<string, unknown>;
    const key = JSON.stringify([value, context]);
    const known = keys.get(key);
    if (known !== undefined) return known;
    if (states.length >= MAX_STATES) {
      throw new Error(
        `compileMachine(${machine.id}): more than ${MAX_STATES} snapshots; is the context finite?`,
      );
    }
    keys.set(key, states.length);
    states.push({ value, context: { ...context }, final: snapshot.status === 'done' });
    snapshots.push(snapshot);
    return states.length - 1;
  };

  const initial = indexOf(initialSnapshot);
  const rows: number[][] = [];
  for (let s = 0; s < snapshots.length; s++) {
    const snapshot = snapshots[s]!;
    rows.push(
      events.map((type) => {
        const event = { type };
        if (snapshot.status !== 'active' || !snapshot.can(event)) return REFUSED;
        const [next] = transition(logic, snapshot, event) as [AnyMachineSnapshot, unknown];
        return indexOf(next);
      }),
    );
  }

  return { machineId: machine.id, events, states, initial, steps: rows.flat() };
}
