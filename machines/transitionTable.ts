// A compiled machine as data and as the lookup the hot path steps through. Nothing here loads
// XState: the tables are compiled from the machines by `compileMachine` and written to
// `compiled.generated.ts` (`npm run tables`), so that the inspector page and the core's startup
// do not run XState to find them.

/** One reachable snapshot of a machine: its state name, its context and whether it is final. */
export interface TableState {
  readonly value: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly final: boolean;
}

/**
 * A machine's reachable snapshots and transitions, flattened into integer lookups.
 *
 * Compiled from the XState definition (`compileMachine`, whose data is generated into
 * `compiled.generated.ts`): the hot path steps through an array instead of creating an actor
 * scope per event (about 15 to 22 µs each in xstate 5).
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

/** What `compileMachine` finds, as plain data: the form the generated tables are written in. */
export interface TableData<E extends string = string> {
  readonly machineId: string;
  readonly events: readonly E[];
  readonly states: readonly TableState[];
  readonly initial: number;
  /** Row by row, the state reached from each state on each event (-1 when it refuses). */
  readonly steps: readonly number[];
}

/** The state index `step` returns when the machine refuses the event. */
export const REFUSED = -1;

/** The lookup over a compiled machine's data. */
export function tableOf<E extends string>(data: TableData<E>): TransitionTable<E> {
  const { machineId, events, states, initial } = data;
  const width = events.length;
  const flat = Int16Array.from(data.steps);
  const descriptions = states.map(({ value, context }) => {
    const flags = Object.keys(context).filter((name) => context[name] === true);
    return flags.length ? `${value} (${flags.join(', ')})` : value;
  });
  const eventIndexes = new Map<E, number>(events.map((type, index) => [type, index]));
  return {
    machineId,
    events,
    states,
    initial,
    eventIndex(type) {
      const index = eventIndexes.get(type);
      if (index === undefined) throw new Error(`${machineId} has no event ${String(type)}`);
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
