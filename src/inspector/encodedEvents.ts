// @internal Events encoded once: a recording's 100,000 lines are sent to every page that opens
// it, and a live tracker's history to every page that reconnects.
import { encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';

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
