// @internal Events encoded once: a window of a recording is sent to every page that scrubs
// there, and a live tracker's history to every page that reconnects.
import { encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';

const encoded = new WeakMap<ToolflightEvent, string>();
/** Events encoded so far (a test reads that a recording is not encoded before it is asked). */
let encodings = 0;
export const encodedSoFar = (): number => encodings;

/** `encodeEvent`, remembered for as long as the event object lives. */
export function encodeOnce(event: ToolflightEvent): string {
  let line = encoded.get(event);
  if (line === undefined) {
    line = encodeEvent(event);
    encoded.set(event, line);
    encodings += 1;
  }
  return line;
}
