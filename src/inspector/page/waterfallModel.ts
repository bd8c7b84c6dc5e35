// @internal The waterfall's rows and bars at the cursor: pure, no DOM. Each capture generation
// is a header row followed by its entities in start order; only the rows asked for are folded.
import { countBelow } from './dom.js';
import type { EventLog, GenerationInfo } from './eventLog.js';

/** One request or tool call on the time axis, as of the cursor. */
export interface WaterfallBar {
  readonly id: string;
  readonly kind: 'request' | 'toolCall';
  /** The tool's name, or the request's method (`request` before it is classified). */
  readonly label: string;
  readonly gen: number;
  readonly capture: string;
  /** 1 for a tool call whose request is known (drawn indented under it), else 0. */
  readonly depth: number;
  /** The request a tool call came with, when the log names it. */
  readonly parent: string | undefined;
  readonly start: number;
  /** Undefined while it is still in flight at the cursor. */
  readonly end: number | undefined;
  readonly outcome: string | undefined;
  readonly state: string;
  /** Its row in the whole waterfall (header rows count). */
  readonly row: number;
}

/** A stretch of time with nothing in flight in a generation, up to `graceMs` after its last activity. */
export interface GraceWindow {
  readonly start: number;
  readonly end: number;
}

/** A host's `waitForIdle` resolving (`idle.waited`), as a mark on its generation's row. */
export interface IdleMark {
  readonly at: number;
  readonly result: string;
  readonly waitedMs: number;
}

/** A generation's header row and what is drawn on it. */
export interface WaterfallGroup {
  readonly gen: number;
  readonly capture: string;
  /** The header's row; its entities take the rows after it. */
  readonly row: number;
  /** Entities started before the cursor. */
  readonly entities: number;
  /** When `capture.begun` was written. */
  readonly begun: number;
}

/** The rows from `first` to before `last` (and the range of time) at a cursor. */
export interface WaterfallFrame {
  /** Every row at the cursor: a header per begun generation plus its started entities. */
  readonly rows: number;
  /** The groups whose rows meet the range asked for. */
  readonly groups: readonly WaterfallGroup[];
  /** Header rows in the range asked for, by row. */
  readonly headers: ReadonlyMap<number, WaterfallGroup>;
  readonly bars: readonly WaterfallBar[];
  /** The first and last `at` of the whole log (or `now`, if later): the unzoomed time axis. */
  readonly t0: number;
  readonly t1: number;
}

/** A generation's quiet stretches: parallel arrays, in time order, known up to `seen` activity. */
interface Quiet {
  /** Index of the event that left nothing in flight (or `capture.begun`). */
  readonly from: number[];
  /** Its `at`. */
  readonly at: number[];
  /** Index and `at` of the next start, Infinity until one came. */
  readonly until: number[];
  readonly untilAt: number[];
  cleared: { index: number; at: number };
  inFlight: number;
  seen: number;
}

/** The waterfall's fold of a log: a cache of what does not change between scrubs. */
export class WaterfallModel {
  private quiet = new Map<number, Quiet>();
  private marks = new Map<number, { index: number[]; mark: IdleMark[] }>();
  /** Events scanned for `idle.waited` and `capture.cleared`, and the latest gen of each key. */
  private scanned = 0;
  private latest = new Map<string, number>();
  private first: unknown;

  constructor(private readonly log: EventLog) {}

  /** The rows `first` to before `last` as of the first `count` events. */
  frame(count: number, now: number, first: number, last: number): WaterfallFrame {
    this.update();
    const log = this.log;
    const groups: WaterfallGroup[] = [];
    const headers = new Map<number, WaterfallGroup>();
    const bars: WaterfallBar[] = [];
    let row = 0;
    for (const info of log.generations.values()) {
      if (info.begun >= count) continue;
      const entities = this.started(info, count);
      const group = {
        gen: info.gen,
        capture: info.key,
        row,
        entities,
        begun: log.events[info.begun]!.at,
      };
      const end = row + 1 + entities;
      if (end > first && row < last) {
        groups.push(group);
        if (row >= first) headers.set(row, group);
        const from = Math.max(0, first - row - 1);
        const to = Math.min(entities, last - row - 1);
        for (let i = from; i < to; i++) {
          const bar = this.bar(info.entities[i]!, count, row + 1 + i);
          if (bar) bars.push(bar);
        }
      }
      row = end;
    }
    const events = log.events;
    // A window's axis starts at its own first event: earlier context would squeeze its bars.
    const t0 = (events[log.context] ?? events[0])?.at ?? 0;
    const t1 = Math.max(t0 + 1, events[events.length - 1]?.at ?? 0, now);
    return { rows: row, groups, headers, bars, t0, t1 };
  }

  /** The row of an entity started before the cursor (undefined for one not started yet). */
  rowOf(id: string, count: number): number | undefined {
    const log = this.log;
    const entity = log.entities.get(id);
    const first = entity?.events[0];
    if (entity === undefined || first === undefined || first >= count) return undefined;
    let row = 0;
    for (const info of log.generations.values()) {
      if (info.begun >= count) continue;
      if (info.gen === entity.gen) {
        const ids = info.entities;
        return (
          row + 1 + countBelow(ids.length, (i) => log.entities.get(ids[i]!)!.events[0]! < first)
        );
      }
      row += 1 + this.started(info, count);
    }
    return undefined;
  }

  /** How many of the generation's entities started before the cursor (a prefix). */
  private started(info: GenerationInfo, count: number): number {
    const ids = info.entities;
    return countBelow(ids.length, (i) => (this.log.entities.get(ids[i]!)?.events[0] ?? 0) < count);
  }

  private bar(id: string, count: number, row: number): WaterfallBar | undefined {
    const entity = this.log.entities.get(id);
    const at = entity && this.log.entityAt(entity, count);
    if (!entity || !at) return undefined;
    const started = this.log.events[entity.events[0]!];
    const request = started?.type === 'toolCall.started' ? started.data.request : undefined;
    const parent = request !== undefined && this.log.entities.has(request) ? request : undefined;
    return {
      id,
      kind: entity.kind,
      label: entity.kind === 'request' ? (at.method ?? 'request') : (entity.toolName ?? ''),
      gen: entity.gen,
      capture: entity.capture,
      depth: parent === undefined ? 0 : 1,
      parent,
      start: at.startedAt,
      end: at.endedAt,
      // A request's outcome is its finish's (`settledOutcome`); a tool call's, its result's.
      outcome: entity.kind === 'request' && at.endedAt !== undefined ? entity.outcome : at.outcome,
      state: at.state,
      row,
    };
  }

  /**
   * The generation's grace windows at the cursor that end after `from` and start before `to`,
   * one per `step` ms at most (a window narrower than a pixel hides the next ones under it).
   * The rule of the captures table: nothing in flight, until `graceMs` after the last activity.
   */
  graceWindows(
    gen: number,
    count: number,
    now: number,
    graceMs: number,
    from: number,
    to: number,
    step: number,
  ): GraceWindow[] {
    this.update();
    const quiet = this.quiet.get(gen);
    const out: GraceWindow[] = [];
    if (!quiet || graceMs <= 0) return out;
    // Those begun before the cursor, ending after `from` (ends ascend, as starts do).
    const known = countBelow(quiet.from.length, (i) => quiet.from[i]! < count);
    let t = from;
    while (out.length < 10_000) {
      const i = countBelow(known, (k) => this.endOf(quiet, k, count, now, graceMs) <= t);
      if (i >= known) break;
      const start = quiet.at[i]!;
      if (start >= to) break;
      const end = this.endOf(quiet, i, count, now, graceMs);
      out.push({ start, end });
      t = Math.max(end, start + step);
    }
    return out;
  }

  private endOf(quiet: Quiet, i: number, count: number, now: number, graceMs: number): number {
    let end = quiet.at[i]! + graceMs;
    if (quiet.until[i]! < count) end = Math.min(end, quiet.untilAt[i]!);
    else end = Math.min(end, now);
    if (quiet.cleared.index < count) end = Math.min(end, quiet.cleared.at);
    return Math.max(quiet.at[i]!, end);
  }

  /** The generation's `idle.waited` marks before the cursor, between `from` and `to`. */
  idleMarks(gen: number, count: number, from: number, to: number): IdleMark[] {
    this.update();
    const marks = this.marks.get(gen);
    if (!marks) return [];
    const known = countBelow(marks.index.length, (i) => marks.index[i]! < count);
    const start = countBelow(known, (i) => marks.mark[i]!.at < from);
    const out: IdleMark[] = [];
    for (let i = start; i < known && marks.mark[i]!.at <= to && out.length < 10_000; i++) {
      out.push(marks.mark[i]!);
    }
    return out;
  }

  /** Fold what the log gained since the last call; start over if it was replaced. */
  private update(): void {
    const log = this.log;
    if (log.events[0] !== this.first || this.scanned > log.length) {
      this.quiet.clear();
      this.marks.clear();
      this.latest.clear();
      this.scanned = 0;
      this.first = log.events[0];
    }
    for (; this.scanned < log.length; this.scanned++) {
      const index = this.scanned;
      const event = log.events[index]!;
      if (event.type === 'capture.begun') {
        this.latest.set(event.capture, event.gen);
        this.quiet.set(event.gen, {
          from: [index],
          at: [event.at],
          until: [Infinity],
          untilAt: [Infinity],
          cleared: { index: Infinity, at: Infinity },
          inFlight: 0,
          seen: 0,
        });
      } else if (event.type === 'capture.cleared') {
        const quiet = this.quiet.get(event.gen);
        if (quiet) quiet.cleared = { index, at: event.at };
      } else if (event.type === 'idle.waited' && event.capture !== undefined) {
        const gen = event.gen ?? this.latest.get(event.capture);
        if (gen === undefined) continue;
        let marks = this.marks.get(gen);
        if (!marks) this.marks.set(gen, (marks = { index: [], mark: [] }));
        marks.index.push(index);
        marks.mark.push({ at: event.at, result: event.data.result, waitedMs: event.data.waitedMs });
      }
    }
    for (const [gen, quiet] of this.quiet) {
      const activity = log.generations.get(gen)?.activity ?? [];
      for (; quiet.seen < activity.length; quiet.seen++) {
        const index = activity[quiet.seen]!;
        const event = log.events[index]!;
        const start = event.type === 'request.started' || event.type === 'toolCall.started';
        const last = quiet.from.length - 1;
        if (start && quiet.inFlight === 0 && quiet.until[last] === Infinity) {
          quiet.until[last] = index;
          quiet.untilAt[last] = event.at;
        }
        quiet.inFlight += start ? 1 : -1;
        if (!start && quiet.inFlight === 0) {
          quiet.from.push(index);
          quiet.at.push(event.at);
          quiet.until.push(Infinity);
          quiet.untilAt.push(Infinity);
        }
      }
    }
  }
}
