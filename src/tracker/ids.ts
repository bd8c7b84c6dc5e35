/** The kinds of entity that get ids: requests (`rq_…`) and tool calls (`tc_…`). */
export type EntityKind = 'rq' | 'tc';

/** Where a tracker takes entity ids from; must return a string unique within the log. */
export type IdSource = (kind: EntityKind) => string;

/**
 * Deterministic ids `rq_1`, `tc_1`, `rq_2`, … counted per kind: the tracker's default.
 *
 * Unique within one tracker's log and free of any random source, so a replayed script yields the
 * same ids. `after` continues a log that used numbers up to it. Use `randomIds()` when logs from
 * several processes are merged.
 */
export function sequentialIds(
  after: { readonly rq?: number; readonly tc?: number } = {},
): IdSource {
  let requests = after.rq ?? 0;
  let toolCalls = after.tc ?? 0;
  return (kind) => (kind === 'rq' ? `rq_${++requests}` : `tc_${++toolCalls}`);
}
