// @internal How a tracker writes to its store without letting the store decide the host's
// fate: an event the store refuses is held in memory, in order, and written once the store
// takes events again; past the bound it is lost, and a `log.gap` takes its place in the store.
import { messageOf } from '../errors.js';
import { EVENT_VERSION, type LogGap, type ToolflightEvent } from '../events/types.js';
import type { EventStore } from '../store/EventStore.js';

/** Whether a tracker's store holds its whole log, as `tracker.storeHealth()` reports it. */
export interface StoreHealth {
  /** `ok`: every event so far is in the store. `failing`: the last write was refused. */
  readonly state: 'ok' | 'failing';
  /** Events held in memory until the store takes them again. */
  readonly unwritten: number;
  /** Events that could not be kept at all, since the tracker was created (a `log.gap` says where). */
  readonly lost: number;
  /** The store's last error while failing. */
  readonly error?: string;
}

/** Called when writes start failing, and again when events start being lost. */
export type StoreErrorReport = (error: unknown, health: StoreHealth) => void;

/** The range of seqs lost in the current outage. */
interface Lost {
  readonly from: number;
  readonly at: number;
  through: number;
}

/** Writes a tracker's events to its store, holding those it refuses. */
export class StoreWriter {
  /** Refused events not yet written, in seq order, from `#next`. */
  #held: ToolflightEvent[] = [];
  #next = 0;
  #lost: Lost | undefined;
  #lostTotal = 0;
  #error: unknown;
  #failing = false;

  constructor(
    private readonly store: EventStore,
    private readonly maxUnwritten: number,
    private readonly report: StoreErrorReport,
  ) {}

  /** Write `event`, after everything held; hold or lose it when the store refuses. */
  write(event: ToolflightEvent): void {
    if (!this.#failing || this.#drain()) {
      try {
        this.store.append(event);
        return;
      } catch (error) {
        this.#fail(error);
      }
    }
    this.#keep(event);
  }

  /** Try to write what is held now; says how the store stands afterwards. */
  flush(): StoreHealth {
    if (this.#failing) this.#drain();
    return this.health();
  }

  /** How the store stands. */
  health(): StoreHealth {
    const unwritten = this.#held.length - this.#next;
    if (!this.#failing) return { state: 'ok', unwritten, lost: this.#lostTotal };
    return { state: 'failing', unwritten, lost: this.#lostTotal, error: messageOf(this.#error) };
  }

  /** Write the held events, then the gap of the lost ones; true once everything is written. */
  #drain(): boolean {
    try {
      while (this.#next < this.#held.length) {
        this.store.append(this.#held[this.#next]!);
        this.#next += 1;
      }
      this.#held = [];
      this.#next = 0;
      const lost = this.#lost;
      if (lost) {
        const gap: LogGap = {
          v: EVENT_VERSION,
          seq: lost.from,
          at: lost.at,
          type: 'log.gap',
          data: { through: lost.through, reason: messageOf(this.#error) },
        };
        this.store.append(gap);
        this.#lost = undefined;
      }
    } catch (error) {
      this.#error = error;
      return false;
    }
    this.#failing = false;
    this.#error = undefined;
    return true;
  }

  #fail(error: unknown): void {
    this.#error = error;
    if (this.#failing) return;
    this.#failing = true;
    this.report(error, this.health());
  }

  #keep(event: ToolflightEvent): void {
    if (this.#lost === undefined && this.#held.length - this.#next < this.maxUnwritten) {
      this.#held.push(event);
      return;
    }
    this.#lostTotal += 1;
    if (this.#lost) {
      this.#lost.through = event.seq;
      return;
    }
    this.#lost = { from: event.seq, at: event.at, through: event.seq };
    this.report(this.#error, this.health());
  }
}
