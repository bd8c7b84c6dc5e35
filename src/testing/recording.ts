import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import { openError } from '../store/fileErrors.js';
import { readJsonl } from '../store/readJsonl.js';

/** A recorded run: its events, and the JSONL text that stores them. */
export interface Recording {
  readonly events: readonly ToolflightEvent[];
  /** The recording as JSONL, one event per line, ending with a newline. */
  readonly jsonl: () => string;
  /** Write it to a file (for committing as a fixture), creating its folder if missing. */
  readonly save: (path: string) => void;
}

/** What the testing helpers accept as a recording. */
export type RecordingLike = Recording | readonly ToolflightEvent[] | string;

/** Wrap events as a {@link Recording}. */
export function recordingOf(events: readonly ToolflightEvent[]): Recording {
  const jsonl = () => events.map((event) => `${encodeEvent(event)}\n`).join('');
  const save = (path: string) => {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, jsonl());
    } catch (error) {
      throw openError(path, error, 'save the recording to');
    }
  };
  return { events, jsonl, save };
}

/**
 * Load a JSONL recording whole, strictly: the first bad line throws a `DecodeError` naming the
 * file and line. For large files, stream with `readRecording` from `toolflight/store` instead.
 */
export function loadRecording(path: string): Recording {
  return recordingOf([...readJsonl(path)]);
}

/** The events of anything the helpers accept: a recording, an array, or a JSONL path. */
export function eventsOf(source: RecordingLike): readonly ToolflightEvent[] {
  if (typeof source === 'string') return loadRecording(source).events;
  return 'events' in source ? source.events : source;
}
