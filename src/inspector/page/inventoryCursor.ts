// @internal The library's inventory fold at the scrubber: only the log's inventory events are
// folded, and since its states are immutable, a state kept every few events costs nothing to
// keep and makes moving back as cheap as moving forward.
import type { ToolflightEvent } from '../../events/types.js';
import { emptyInventory, foldInventory, type InventoryState } from '../../projections/inventory.js';

/** The events `foldInventory` reads; every other event leaves its state as it is. */
const FOLDED: ReadonlySet<string> = new Set([
  'gateway.configured',
  'catalog.listed',
  'upstream.changed',
  'context.changed',
]);

/**
 * `foldInventory` over the inventory events among the first `count` of a growing log. It
 * keeps the indexes of those events and the state after every `every`-th of them, so any
 * position costs a binary search and fewer than `every` folds, forward or back.
 */
export class InventoryCursor {
  /** Indexes into the log of the events the fold reads, ascending. */
  private readonly indexes: number[] = [];
  /** `checkpoints[k]`: the state after the first `k * every` of `indexes`. */
  private readonly checkpoints: InventoryState[] = [emptyInventory()];
  private scanned = 0;
  private last: { folded: number; state: InventoryState } | undefined;
  /** The log holds a server event (not only contexts): the panel has something to show. */
  servers = false;

  constructor(private readonly every = 256) {}

  /** Forget everything (the log was replaced). */
  reset(): void {
    this.indexes.length = 0;
    this.checkpoints.length = 1;
    this.scanned = 0;
    this.last = undefined;
    this.servers = false;
  }

  /** Index the events appended since the last call. */
  scan(events: readonly ToolflightEvent[]): void {
    // A shorter log is another log: a recording replaced the stream.
    if (events.length < this.scanned) this.reset();
    for (; this.scanned < events.length; this.scanned++) {
      const type = events[this.scanned]!.type;
      if (!FOLDED.has(type)) continue;
      this.indexes.push(this.scanned);
      if (type !== 'context.changed') this.servers = true;
    }
  }

  /** The inventory state after the first `count` events of `events` (scanned first). */
  at(events: readonly ToolflightEvent[], count: number): InventoryState {
    this.scan(events);
    const wanted = this.before(count);
    const { every, checkpoints } = this;
    const mark = Math.floor(wanted / every);
    // Checkpoints are made on the way, the first time the cursor goes past them.
    while (checkpoints.length <= mark) {
      const from = (checkpoints.length - 1) * every;
      checkpoints.push(this.fold(checkpoints[checkpoints.length - 1]!, events, from, from + every));
    }
    const last = this.last;
    const start =
      last !== undefined && last.folded <= wanted && last.folded >= mark * every
        ? last
        : { folded: mark * every, state: checkpoints[mark]! };
    const state = this.fold(start.state, events, start.folded, wanted);
    this.last = { folded: wanted, state };
    return state;
  }

  /** How many of the indexed events come before `count`. */
  private before(count: number): number {
    let low = 0;
    let high = this.indexes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.indexes[middle]! < count) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private fold(
    state: InventoryState,
    events: readonly ToolflightEvent[],
    from: number,
    to: number,
  ): InventoryState {
    for (let i = from; i < to; i++) state = foldInventory(state, events[this.indexes[i]!]!);
    return state;
  }
}
