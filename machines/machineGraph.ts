// A flat machine's states and transitions as a graph, from its definition alone: what
// `toMermaid` renders and the inspector page draws (generated into `compiled.generated.ts`, so
// the page loads no XState).
import type { AnyStateMachine } from 'xstate';

/** A transition: from a state to a state (the same one when it has no target), on an event. */
export interface MachineEdge {
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly guard?: string;
  readonly actions?: readonly string[];
}

/** A machine's states in definition order, its initial and final ones, and its transitions. */
export interface MachineGraph {
  readonly initial?: string;
  readonly states: readonly string[];
  readonly finals: readonly string[];
  /** In definition order: a state's transitions follow the previous state's. */
  readonly edges: readonly MachineEdge[];
}

/** A target as the definition holds it: a state node (with `key`) or an id like `#m.a`. */
type Target = string | { readonly key: string };

interface TransitionJSON {
  readonly target?: readonly Target[];
  readonly guard?: string | { readonly type: string };
  readonly actions?: readonly (string | { readonly type: string })[];
}

interface StateJSON {
  readonly type: string;
  readonly on: Readonly<Record<string, readonly TransitionJSON[]>>;
}

const nameOf = (x: string | { readonly type: string }): string =>
  typeof x === 'string' ? x : x.type;

const local = (target: Target): string =>
  typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : target.key;

/** The graph of a flat machine's definition. */
export function graphOf(machine: AnyStateMachine): MachineGraph {
  const definition = machine.definition as unknown as {
    readonly initial?: { readonly target: readonly Target[] };
    readonly states: Readonly<Record<string, StateJSON>>;
  };
  const initial = definition.initial?.target[0];
  const edges: MachineEdge[] = [];
  const finals: string[] = [];
  for (const [from, state] of Object.entries(definition.states)) {
    for (const [event, transitions] of Object.entries(state.on)) {
      for (const { target, guard, actions } of transitions) {
        edges.push({
          from,
          to: target?.[0] ? local(target[0]) : from,
          event,
          ...(guard ? { guard: nameOf(guard) } : {}),
          ...(actions?.length ? { actions: actions.map(nameOf) } : {}),
        });
      }
    }
    if (state.type === 'final') finals.push(from);
  }
  return {
    ...(initial ? { initial: local(initial) } : {}),
    states: Object.keys(definition.states),
    finals,
    edges,
  };
}
