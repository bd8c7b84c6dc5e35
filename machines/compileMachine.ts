import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
} from 'xstate';

/** One reachable snapshot of a machine: its state name, its context and whether it is final. */
export interface TableState {
  readonly value: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly final: boolean;
}

/**
 * A machine's reachable snapshots and transitions, flattened into integer lookups.
 *
 * Built once from the XState definition at load time: the hot path steps through an array
 * instead of creating an actor scope per event (about 15 to 22 µs each in xstate 5).
 */
export interface TransitionTable<E extends string = string> {
  readonly machineId: string;
  readonly events: readonly E[];
  readonly states: readonly TableState[];
  readonly initial: number;
  /** Index of an event type, for `step`. */
  eventIndex(type: E): number;
  /** The state reached from `state` on event index `event`, or -1 when the machine refuses. */
  step(state: number, event: number): number;
  /** A state for people: its name, with its context flags that are true (`prepared (resulted)`). */
  describe(state: number): string;
}

const REFUSED = -1;
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
  type E = EventFromLogic<M>['type'];
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

  const width = events.length;
  const flat = new Int16Array(rows.length * width);
  rows.forEach((row, s) => row.forEach((to, e) => (flat[s * width + e] = to)));
  const descriptions = states.map(({ value, context }) => {
    const flags = Object.keys(context).filter((name) => context[name] === true);
    return flags.length ? `${value} (${flags.join(', ')})` : value;
  });
  const eventIndexes = new Map<E, number>(events.map((type, index) => [type, index]));

  return {
    machineId: machine.id,
    events,
    states,
    initial,
    eventIndex(type) {
      const index = eventIndexes.get(type);
      if (index === undefined) throw new Error(`${machine.id} has no event ${String(type)}`);
      return index;
    },
    step(state, event) {
      return flat[state * width + event] ?? REFUSED;
    },
    describe(state) {
      return descriptions[state] ?? `unknown state ${state}`;
    },
  };
}
