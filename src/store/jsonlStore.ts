import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';

import { ToolflightError } from '../errors.js';
import { encodeEvent } from '../events/codec.js';
import type { EventStore } from './EventStore.js';
import { openError } from './fileErrors.js';
import { StoreListeners } from './listeners.js';
import { readJsonl } from './readJsonl.js';

/** Options of {@link createJsonlStore}. */
export interface JsonlStoreOptions {
  /**
   * `create` (default): the file must not exist or be empty, so a recording is never appended to
   * by a second run by mistake. `overwrite`: truncate it first.
   */
  readonly mode?: 'create' | 'overwrite';
  /** fsync after every event: survives power loss too, at the cost of a disk flush per event. */
  readonly fsync?: boolean;
}

/**
 * Record a tracker's log as JSONL, one event per line, written as it happens.
 *
 * Each event is handed to the operating system before `append` returns, so a crash of the
 * process loses at most the event being written (which then shows as an unfinished last line
 * that readers report and skip).
 *
 * @example
 * const tracker = createTracker({ store: createJsonlStore('recordings/run.jsonl') });
 */
export function createJsonlStore(path: string, options: JsonlStoreOptions = {}): EventStore {
  const fd = openRecordingFile(path, options.mode ?? 'create');
  const listeners = new StoreListeners();
  let last = 0;
  let closed = false;
  // Where the last whole line ends: a write that fails halfway is cut back to it.
  let size = fstatSync(fd).size;

  return {
    append(event) {
      if (closed) throw new ToolflightError('io_error', `the recording ${path} is closed`);
      const bytes = Buffer.from(`${encodeEvent(event)}\n`);
      try {
        for (let written = 0; written < bytes.length;) {
          written += writeSync(fd, bytes, written, bytes.length - written);
        }
        if (options.fsync) fsyncSync(fd);
      } catch (error) {
        // A full disk can take part of a line: drop it, so that the event written again later
        // (the tracker holds what the store refuses) stands alone on its line.
        try {
          ftruncateSync(fd, size);
        } catch {
          // Readers report an unfinished line and skip it; the error below is what matters.
        }
        throw openError(path, error, `append event ${event.seq} to`);
      }
      size += bytes.length;
      last = event.seq;
      listeners.notify(event);
    },
    read: (fromSeq) => readJsonl(path, { fromSeq }),
    lastSeq: () => last,
    subscribe: (listener) => listeners.subscribe(listener),
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

function openRecordingFile(path: string, mode: 'create' | 'overwrite'): number {
  try {
    if (mode === 'overwrite') return openSync(path, 'w');
    try {
      return openSync(path, 'wx');
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const fd = openSync(path, 'a');
      if (fstatSync(fd).size === 0) return fd;
      closeSync(fd);
      throw new ToolflightError(
        'invalid_argument',
        `the recording ${path} already holds events: choose another path, or pass { mode: 'overwrite' } to replace it`,
      );
    }
  } catch (error) {
    if (error instanceof ToolflightError) throw error;
    throw openError(path, error, 'create the recording');
  }
}
