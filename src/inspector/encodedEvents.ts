// @internal Events encoded once: a live tracker's or a feed's kept history is sent to every
// page that connects again. Not a recording's: its windows are encoded as they are sent.
import { encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';

/** An event as one line: `encodeEvent`, or `encodeOnce` for a history pages read again. */
export type Encode = (event: ToolflightEvent) => string;

const encoded = new WeakMap<ToolflightEvent, string>();

/** `encodeEvent`, remembered for as long as the event object lives. */
export function encodeOnce(event: ToolflightEvent): string {
  let line = encoded.get(event);
  if (line === undefined) {
    line = encodeEvent(event);
    encoded.set(event, line);
  }
  return line;
}
