/** The kinds of entity that get ids: requests (`rq_…`) and tool calls (`tc_…`). */
export type EntityKind = 'rq' | 'tc';

/** Where a tracker takes entity ids from; must return a string unique within the log. */
export type IdSource = (kind: EntityKind) => string;

/**
 * Deterministic ids `rq_1`, `tc_1`, `rq_2`, … counted per kind: the tracker's default.
 *
 * Unique within one tracker's log and free of any random source, so a replayed script yields the
 * same ids. Use `randomIds()` when logs from several processes are merged.
 */
export function sequentialIds(): IdSource {
  let requests = 0;
  let toolCalls = 0;
  return (kind) => (kind === 'rq' ? `rq_${++requests}` : `tc_${++toolCalls}`);
}
