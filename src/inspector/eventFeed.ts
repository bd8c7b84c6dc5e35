// @internal Where the inspector's events come from: a live tracker, a recording file, or a
// recording another process is still writing (followed).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

import { messageOf } from '../errors.js';
import { decodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import { readRecording } from '../store/readRecording.js';
import type { InspectorFeed } from './InspectorFeed.js';
import type { Tracker } from '../tracker/Tracker.js';

/** History then live, by seq: the shape a host's own feed has too. */
export type EventFeed = InspectorFeed;

/** A live tracker: its store's kept history (the last 1,000 events by default), then its bus. */
export function trackerFeed(tracker: Tracker): EventFeed {
  return {
    history: (afterSeq) => tracker.store.read(afterSeq + 1),
    lastSeq: () => tracker.store.lastSeq(),
    subscribe: (listener) => tracker.store.subscribe(listener),
    close: () => undefined,
  };
}

/** Events held in memory, with listeners for the ones appended later. */
class HeldEvents {
  readonly events: ToolflightEvent[] = [];
  readonly listeners = new Set<(event: ToolflightEvent) => void>();

  push(event: ToolflightEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  history(afterSeq: number): Iterable<ToolflightEvent> {
    // Nothing new, the common case of a window's look for appended events: no scan.
    if (afterSeq >= this.lastSeq()) return [];
    // seq is gapless from the first kept event, so the index is arithmetic when it can be.
    const first = this.events[0]?.seq ?? 1;
    const from = Math.max(0, afterSeq + 1 - first);
    return this.events[from]?.seq === afterSeq + 1
      ? this.#from(from)
      : this.events.filter((event) => event.seq > afterSeq);
  }

  lastSeq(): number {
    return this.events[this.events.length - 1]?.seq ?? 0;
  }

  /**
   * The events from an index on, read lazily: a stream that writes a message and waits for its
   * client reads the history again each time, and a copy of the rest each time would add up.
   */
  *#from(index: number): Generator<ToolflightEvent> {
    // The array only grows, so an index stays valid; events pushed meanwhile are seen too.
    for (let i = index; i < this.events.length; i++) yield this.events[i]!;
  }
}

/** Options of {@link recordingFeed}. */
export interface FollowOptions {
  /** Keep reading lines another process appends. */
  readonly follow?: boolean;
  /** How often a followed file is polled, in ms. */
  readonly pollMs?: number;
  /** Told about a line that is not an event (it is skipped). */
  readonly onProblem?: (message: string) => void;
}

/** A recording file (JSONL or SQLite); with `follow`, a JSONL file tailed as it grows. */
export function recordingFeed(path: string, options: FollowOptions = {}): EventFeed {
  const held = new HeldEvents();
  if (!options.follow) {
    // Not encoded now: a page asks for windows, and a window encodes its own events as it is
    // sent (logWindows.ts). Encoding a 1M-event recording whole took 1.3 s of its 7 s start, and the
    // million strings held a quarter of its heap, which every collection went through.
    for (const event of readRecording(path)) held.push(event);
    return {
      history: (afterSeq) => held.history(afterSeq),
      lastSeq: () => held.lastSeq(),
      subscribe: () => () => undefined,
      close: () => undefined,
    };
  }
  let offset = 0;
  let partial = '';
  // A character split across two reads is held back, not mangled.
  const decoder = new StringDecoder('utf8');
  let line = 0;
  const poll = (): void => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return; // not written yet
    }
    try {
      // Nothing new, the common case on a timer: no buffer, no read.
      if (fstatSync(fd).size <= offset) return;
      const chunk = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const read = readSync(fd, chunk, 0, chunk.length, offset);
        if (read === 0) break;
        offset += read;
        const lines = (partial + decoder.write(chunk.subarray(0, read))).split('\n');
        partial = lines.pop() ?? '';
        for (const text of lines) {
          line += 1;
          if (text.trim() === '') continue;
          try {
            held.push(decodeEvent(text, { source: path, line }));
          } catch (error) {
            options.onProblem?.(messageOf(error));
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  poll();
  // Read on a timer rather than on `watchFile` changes: the watcher compares each stat with a
  // first one it takes later, on the thread pool, so lines appended before that first stat went
  // unseen until the file changed again. A look that finds nothing new is an open, a stat, a close.
  const timer = setInterval(poll, options.pollMs ?? 100);
  timer.unref();
  return {
    history: (afterSeq) => held.history(afterSeq),
    lastSeq: () => held.lastSeq(),
    subscribe: (next) => {
      held.listeners.add(next);
      return () => held.listeners.delete(next);
    },
    close: () => clearInterval(timer),
  };
}
