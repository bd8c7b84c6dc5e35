// @internal `tracker.note`: facts that belong to no machine, checked by the codec's own rules.
import { messageOf, ToolflightError } from '../errors.js';
import { validateEvent } from '../events/codec.js';
import type { NoteEvent, ToolflightEvent } from '../events/types.js';
import { normalizeName } from '../events/validate.js';
import type { TrackerLog } from './trackerLog.js';

/** What `note` appends: the event types that belong to no machine. */
const NOTE_TYPES: ReadonlySet<string> = new Set<NoteEvent['type']>([
  'catalog.listed',
  'context.changed',
  'upstream.changed',
  'outbox.enqueued',
  'outbox.delivered',
  'outbox.rejected',
  'agent.asked',
  'agent.answered',
  'gateway.configured',
  'session.opened',
  'session.closed',
  'upstream.requested',
  'upstream.answered',
  'idle.waited',
]);

/**
 * Append a note with the log's seq and clock; the capture projection is unchanged. Throws a
 * `ToolflightError` for a lifecycle type or data that does not fit the type.
 */
export function appendNote(
  log: TrackerLog,
  type: NoteEvent['type'],
  data: unknown,
  scope: { readonly capture?: string } = {},
): NoteEvent {
  if (!NOTE_TYPES.has(type)) {
    throw new ToolflightError(
      'invalid_argument',
      `note takes ${[...NOTE_TYPES].join(', ')}; lifecycle events come from their commands, not from note (got ${JSON.stringify(type)})`,
    );
  }
  const capture = normalizeName(scope.capture, 'capture key');
  let event: ToolflightEvent;
  try {
    // The codec's own rules decide what a well-formed note is, and give the canonical order.
    event = validateEvent(log.stampLoose(type, { capture }, data));
  } catch (error) {
    throw new ToolflightError('invalid_argument', `note ${type}: ${messageOf(error)}`);
  }
  log.append(event);
  log.publish(event);
  return event as NoteEvent;
}
