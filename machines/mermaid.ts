import type { AnyStateMachine } from 'xstate';

import { graphOf } from './machineGraph.js';

/**
 * Render a flat machine as a Mermaid `stateDiagram-v2`, from its definition alone.
 *
 * Each transition is labelled UML-style, `EVENT [guard] / action`; a targetless transition is a
 * self-loop. Deterministic: the same machine always renders the same text.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const { initial, states, finals, edges } = graphOf(machine);
  const lines = ['stateDiagram-v2', '  direction LR'];
  if (initial) lines.push(`  [*] --> ${initial}`);
  for (const name of states) {
    for (const { from, to, event, guard, actions } of edges) {
      if (from !== name) continue;
      const label = `${event}${guard ? ` [${guard}]` : ''}${actions ? ` / ${actions.join(', ')}` : ''}`;
      lines.push(`  ${name} --> ${to} : ${label}`);
    }
    if (finals.includes(name)) lines.push(`  ${name} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}
