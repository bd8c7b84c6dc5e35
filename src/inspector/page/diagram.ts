// @internal The machine of the selected entity as an SVG, from the machines' graphs (generated
// into machines/compiled.generated.ts): the current state filled, its path outlined.
import { REQUEST_GRAPH, TOOL_CALL_GRAPH } from '../../../machines/compiled.generated.js';
import { esc } from './dom.js';
import type { EntityAt } from './eventLog.js';

const GRAPHS = { request: REQUEST_GRAPH, toolCall: TOOL_CALL_GRAPH };

/** The SVG of `kind`'s machine with `at` highlighted (or the bare machine). */
export function diagramSvg(kind: 'request' | 'toolCall', at: EntityAt | undefined): string {
  const { states, edges } = GRAPHS[kind];
  const W = 130;
  const gap = 70;
  const y = 55;
  const xOf = (name: string) => 20 + states.indexOf(name) * (W + gap);
  const visited = new Set(at?.path ?? []);
  const taken = new Set<string>();
  at?.path.forEach((state, i) => {
    const next = at.path[i + 1];
    if (next) taken.add(`${state}>${next}`);
  });
  let svg = `<svg viewBox="0 0 ${20 + states.length * (W + gap)} 120" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" style="fill:var(--dim)"/></marker></defs>`;
  const loops = new Map<string, string[]>();
  const forward = new Map<string, string[]>();
  for (const edge of edges) {
    const key = `${edge.from}>${edge.to}`;
    const into = edge.from === edge.to ? loops : forward;
    into.set(key, [...(into.get(key) ?? []), edge.event]);
  }
  for (const [key, labels] of forward) {
    const [from, to] = key.split('>') as [string, string];
    const x1 = xOf(from) + W;
    const x2 = xOf(to);
    const skip = Math.abs(states.indexOf(to) - states.indexOf(from)) > 1;
    const stroke = taken.has(key) ? 'var(--acc)' : 'var(--edge)';
    const d = skip
      ? `M${xOf(from) + W / 2},${y - 18} C${xOf(from) + W / 2},${y - 55} ${x2 + W / 2},${y - 55} ${x2 + W / 2},${y - 18}`
      : `M${x1},${y} L${x2},${y}`;
    const lx = skip ? (xOf(from) + x2 + W) / 2 : (x1 + x2) / 2;
    svg += `<path d="${d}" fill="none" style="stroke:${stroke}" stroke-width="${taken.has(key) ? 2.5 : 1.2}" marker-end="url(#arr)"/><text x="${lx}" y="${skip ? y - 42 : y - 6}" style="fill:var(--label)" font-size="10" text-anchor="middle">${esc(labels.join(' / '))}</text>`;
  }
  for (const [key, labels] of loops) {
    const state = key.split('>')[0]!;
    svg += `<text x="${xOf(state) + W / 2}" y="${y + 34}" style="fill:var(--dim)" font-size="10" text-anchor="middle">↺ ${esc(labels.join(', '))}</text>`;
  }
  for (const state of states) {
    const current = at?.state === state;
    const fill = current ? 'var(--acc)' : 'var(--node)';
    const stroke = visited.has(state) ? 'var(--acc)' : 'var(--edge)';
    svg += `<g data-state="${esc(state)}"${current ? ' class="current"' : ''}><rect x="${xOf(state)}" y="${y - 18}" width="${W}" height="36" rx="10" style="fill:${fill};stroke:${stroke}" stroke-width="${visited.has(state) ? 2 : 1}"/><text x="${xOf(state) + W / 2}" y="${y + 4}" style="fill:var(${current ? '--on-acc' : '--fg'})" font-size="13" text-anchor="middle">${esc(state)}</text></g>`;
  }
  return `${svg}</svg>`;
}
