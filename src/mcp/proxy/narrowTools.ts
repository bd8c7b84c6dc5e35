// @internal Narrow-never-widen, the visible names and the catalog fingerprint: pure functions.
import { createHash } from 'node:crypto';

import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import { toolPattern } from '../endpoint/toolPattern.js';
import type { Narrower } from './Proxy.js';

/**
 * The tools `narrow` lets through, as the upstream defined them and in the upstream's order.
 * A narrower that invents a tool, renames one or rewrites a definition widens nothing: only
 * names the upstream listed count, and their definitions come from the upstream.
 */
export function narrowTools<C>(
  upstream: readonly Tool[],
  narrow: Narrower<C> | undefined,
  context: C,
): readonly Tool[] {
  if (narrow === undefined) return upstream;
  const chosen = new Set<string>();
  for (const tool of narrow(upstream, context)) {
    if (typeof tool?.name === 'string') chosen.add(tool.name);
  }
  return upstream.filter((tool) => chosen.has(tool.name));
}

/** The sorted names of a tool list, joined: equal exactly when the visible sets are equal. */
export const visibleKey = (tools: readonly Tool[]): string =>
  JSON.stringify(tools.map((tool) => tool.name).sort());

/** A stable fingerprint of a listed catalog (sha256 of its JSON, first 16 hex digits). */
export const fingerprintOf = (tools: readonly Tool[]): string =>
  createHash('sha256').update(JSON.stringify(tools)).digest('hex').slice(0, 16);

/**
 * A narrower that hides tools whose names match any pattern (`*` and `?` wildcards), whatever
 * the context: the CLI's `--hide`.
 *
 * @example
 * await createProxy({ tracker, upstream, narrow: hideTools(['delete_*', 'admin']) });
 */
export function hideTools(patterns: readonly string[]): Narrower<unknown> {
  const matchers = patterns.map(toolPattern);
  return (tools) => tools.filter((tool) => !matchers.some((re) => re.test(tool.name)));
}

/** An endpoint's own context, and the contexts set for one capture. */
export interface Contexts<C> {
  readonly context: C;
  readonly contexts: ReadonlyMap<string, C>;
}

/** The context the agents of `capture` are narrowed by: their capture's own, else the endpoint's. */
export function contextFor<C>(state: Contexts<C>, capture: string | undefined): C {
  return capture !== undefined && state.contexts.has(capture)
    ? (state.contexts.get(capture) as C)
    : state.context;
}

/** `state` with the endpoint's context set, or with `capture` that capture's only. */
export function withContext<S extends Contexts<C>, C>(state: S, context: C, capture?: string): S {
  if (capture === undefined) return { ...state, context };
  const contexts = new Map(state.contexts);
  contexts.set(capture, context);
  return { ...state, contexts };
}
