/** A record that can sit in one {@link LiveList}. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
}

/**
 * An insertion-ordered list of live records, linked through the records themselves.
 *
 * Adding and removing cost two pointer writes and no hashing: the tracker holds every record it
 * touches, so the per-event path never looks anything up by id.
 */
export class LiveList<T extends Linked<T>> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  size = 0;

  push(node: T): void {
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size += 1;
  }

  remove(node: T): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
    this.size -= 1;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.head; node; node = node.next) yield node;
  }
}
