// One log made of several: each source's events renamed apart, so that a fold of the merged log
// keeps every host's captures and entities its own.
import type { ToolflightEvent } from './types.js';

/** Between a source's label and a name of that source in a merged log: `host-a/run-1`. */
export const LABEL_SEPARATOR = '/';

/** Data fields that name an entity or outbox entry of the same log. */
const REFERENCES = ['request', 'toolCall'] as const;

/**
 * The event as it reads in a log merged from several sources: its capture key, entity id, the
 * entities its data names (`request`, `toolCall`) and, for `outbox.*`, the entry key, all start
 * with `label/`; `seq` is its place in the merged log. Everything else is kept as it is, `at`
 * included. `unlabel` gives the source's names back.
 */
export function labelEvent(event: ToolflightEvent, label: string, seq: number): ToolflightEvent {
  const prefix = `${label}${LABEL_SEPARATOR}`;
  const out: Record<string, unknown> = { ...event, seq };
  if (event.capture !== undefined) out.capture = prefix + event.capture;
  if (event.id !== undefined) out.id = prefix + event.id;
  if (event.data !== undefined) {
    const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
    let changed = false;
    for (const field of REFERENCES) {
      if (typeof data[field] === 'string') {
        data[field] = prefix + data[field];
        changed = true;
      }
    }
    if (event.type.startsWith('outbox.') && typeof data.key === 'string') {
      data.key = prefix + data.key;
      changed = true;
    }
    if (changed) out.data = data;
  }
  return out as unknown as ToolflightEvent;
}

/** The label and the source's own name of a name in a merged log; undefined label when none. */
export function unlabel(name: string): {
  readonly label: string | undefined;
  readonly name: string;
} {
  const at = name.indexOf(LABEL_SEPARATOR);
  return at < 0
    ? { label: undefined, name }
    : { label: name.slice(0, at), name: name.slice(at + 1) };
}
