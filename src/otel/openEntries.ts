// @internal The open entries of one kind (requests, tool calls, CLIENT spans) by key. A `Map`
// that never empties: V8 shrinks a Map's table on the `delete` that leaves it (nearly) empty and
// grows it again on the next `set`, so a server that has one request open at a time (the common
// case) paid a fresh table per entity, ~150 B each, two per `tools/call`, and the young
// collections that come with them. A holder entry, first in insertion order and never deleted,
// keeps the table from shrinking below its smallest size; nothing outside sees it.

/** The holder's key: no string key can be it. */
const HOLDER: unique symbol = Symbol('holder');

export class OpenEntries<T> {
  private readonly map = new Map<string | typeof HOLDER, T>();

  constructor() {
    this.map.set(HOLDER, undefined as T);
  }

  /** Entries open. */
  get size(): number {
    return this.map.size - 1;
  }

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  set(key: string, entry: T): void {
    this.map.set(key, entry);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Every open entry, oldest first; deleting while iterating is safe, as on a `Map`. */
  *entries(): Generator<[string, T]> {
    for (const [key, entry] of this.map) {
      if (key !== HOLDER) yield [key, entry];
    }
  }

  *values(): Generator<T> {
    for (const [key, entry] of this.map) {
      if (key !== HOLDER) yield entry;
    }
  }
}
