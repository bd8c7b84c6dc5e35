import type { AnyStateMachine } from 'xstate';

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

/**
 * Render a flat machine as a Mermaid `stateDiagram-v2`, from its definition alone.
 *
 * Each transition is labelled UML-style, `EVENT [guard] / action`; a targetless transition is a
 * self-loop. Deterministic: the same machine always renders the same text.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const definition = machine.definition as unknown as {
    readonly id: string;
    readonly initial?: { readonly target: readonly Target[] };
    readonly states: Readonly<Record<string, StateJSON>>;
  };
  const local = (target: Target) =>
    typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : target.key;
  const lines = ['stateDiagram-v2', '  direction LR'];
  const initial = definition.initial?.target[0];
  if (initial) lines.push(`  [*] --> ${local(initial)}`);
  for (const [name, state] of Object.entries(definition.states)) {
    for (const [event, transitions] of Object.entries(state.on)) {
      for (const transition of transitions) {
        const target = transition.target?.[0] ? local(transition.target[0]) : name;
        const guard = transition.guard ? ` [${nameOf(transition.guard)}]` : '';
        const actions = transition.actions?.length
          ? ` / ${transition.actions.map(nameOf).join(', ')}`
          : '';
        lines.push(`  ${name} --> ${target} : ${event}${guard}${actions}`);
      }
    }
    if (state.type === 'final') lines.push(`  ${name} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}
