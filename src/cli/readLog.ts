import type { EventLocation, ToolflightEvent } from '../index.js';
import { readRecording, recordingFormat, type RecordingProblem } from '../store/index.js';
import type { CliIo } from './io.js';

/** Events read before a progress bar appears on a terminal. */
const PROGRESS_AFTER = 100_000;

/** A recording opened for a CLI command: its events, and the problems met while reading them. */
export interface CliLog {
  readonly events: Iterable<ToolflightEvent>;
  readonly problems: RecordingProblem[];
  /** Where the event being read is: the file, and its line in a JSONL file. */
  readonly where: () => EventLocation;
  /** Clear the progress bar, if one was drawn. */
  readonly done: () => void;
}

/**
 * Stream a recording for `replay` and `verify`. On a terminal, a progress bar is drawn on stderr
 * once a file has passed 100k events.
 */
export function openCliLog(path: string, io: CliIo): CliLog {
  const problems: RecordingProblem[] = [];
  let count = 0;
  let drawn = false;
  let fraction = 0;
  let line: number | undefined;
  const draw = () => {
    const width = 30;
    const full = Math.round(fraction * width);
    io.progress?.(
      `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(fraction * 100)}% ${count} events`,
    );
    drawn = true;
  };
  // A SQLite recording has rows, not lines: its violations are placed by their seq alone.
  const jsonl = recordingFormat(path) === 'jsonl';
  const source = readRecording(path, {
    onProblem: (problem) => problems.push(problem),
    onProgress: (value) => {
      fraction = value;
      if (io.stderrIsTty === true && count > PROGRESS_AFTER) draw();
    },
    ...(jsonl ? { onLine: (at: number) => (line = at) } : {}),
  });
  function* counted(): Generator<ToolflightEvent> {
    for (const event of source) {
      count += 1;
      yield event;
    }
  }
  return {
    events: counted(),
    problems,
    where: () => (line === undefined ? { source: path } : { source: path, line }),
    done: () => {
      if (drawn) io.progress?.(undefined);
    },
  };
}
