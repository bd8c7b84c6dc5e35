// A flat machine's states and transitions as a graph, from its definition alone: what the
// inspector page draws (generated into `compiled.generated.ts`, so the page loads no XState).
import type { AnyStateMachine } from 'xstate';

/** A transition: from a state to a state (the same one for a self-transition), on an event. */
export interface MachineEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** A machine's state names, in definition order, and its transitions. */
export interface MachineGraph {
  readonly states: readonly string[];
  readonly edges: readonly MachineEdge[];
}

/** The graph of a flat machine's definition. */
export function graphOf(machine: AnyStateMachine): MachineGraph {
  const definition = machine.definition as unknown as {
    states: Record<string, { on: Record<string, { target?: ({ key: string } | string)[] }[]> }>;
  };
  const states = Object.keys(definition.states);
  const edges: MachineEdge[] = [];
  for (const [from, state] of Object.entries(definition.states)) {
    for (const [event, transitions] of Object.entries(state.on)) {
      for (const transition of transitions) {
        const target = transition.target?.[0];
        const to =
          target === undefined
            ? from
            : typeof target === 'string'
              ? target.slice(target.lastIndexOf('.') + 1)
              : target.key;
        edges.push({ from, to, label: event });
      }
    }
  }
  return { states, edges };
}
