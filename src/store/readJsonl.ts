import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { DecodeError, decodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import { openError } from './fileErrors.js';
import type { ReadOptions } from './recordingProblem.js';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Stream a JSONL recording, one decoded event at a time, in bounded memory (1 MiB chunks).
 *
 * A bad line is reported through `onProblem` (or thrown as a `DecodeError` naming the file and
 * line) and skipped; an unfinished last line is reported as `truncated`. Every good line before
 * and after a bad one is still read.
 */
export function* readJsonl(path: string, options: ReadOptions = {}): Generator<ToolflightEvent> {
  const fromSeq = options.fromSeq ?? 1;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw openError(path, error, 'read the recording');
  }
  try {
    if (fstatSync(fd).isDirectory())
      throw openError(path, { code: 'EISDIR' }, 'read the recording');
    const size = fstatSync(fd).size;
    let consumed = 0;
    let buffer = Buffer.allocUnsafe(CHUNK);
    let filled = 0; // bytes of `buffer` holding unread data
    let lineNumber = 0;
    let eof = false;
    while (!eof || filled > 0) {
      if (!eof) {
        if (filled === buffer.length) {
          // One line longer than the buffer: grow it rather than split the line.
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, filled);
          buffer = bigger;
        }
        const read = readSync(fd, buffer, filled, buffer.length - filled, null);
        if (read === 0) eof = true;
        filled += read;
        consumed += read;
        if (options.onProgress && size > 0) options.onProgress(Math.min(1, consumed / size));
      }
      let start = 0;
      for (
        let end = buffer.indexOf(NEWLINE, start);
        end !== -1 && end < filled;
        end = buffer.indexOf(NEWLINE, start)
      ) {
        lineNumber += 1;
        const event = decodeLine(buffer.toString('utf8', start, end), lineNumber, false);
        start = end + 1;
        if (event && event.seq >= fromSeq) {
          options.onLine?.(lineNumber);
          yield event;
        }
      }
      if (eof && start < filled) {
        // The last line has no newline: a crash mid-write, or an editor that dropped it.
        lineNumber += 1;
        const event = decodeLine(buffer.toString('utf8', start, filled), lineNumber, true);
        start = filled;
        if (event && event.seq >= fromSeq) {
          options.onLine?.(lineNumber);
          yield event;
        }
      }
      buffer.copy(buffer, 0, start, filled);
      filled -= start;
      if (eof) break;
    }
  } finally {
    closeSync(fd);
  }

  function decodeLine(text: string, line: number, last: boolean): ToolflightEvent | undefined {
    if (text.trim() === '') return undefined;
    try {
      return decodeEvent(text, { source: path, line });
    } catch (caught) {
      if (!(caught instanceof DecodeError)) throw caught;
      const error =
        last && caught.code === 'not_json'
          ? new DecodeError(
              'truncated',
              'the last line is unfinished (the run was cut off while writing it); every earlier event was kept',
              { source: path, line },
            )
          : caught;
      if (!options.onProblem) throw error;
      options.onProblem({ source: path, line, code: error.code, message: error.message });
      return undefined;
    }
  }
}
