import type { ToolflightEvent } from './types.js';

/** A function that receives every event, in seq order. */
export type EventListener = (event: ToolflightEvent) => void;

/**
 * The one event bus of a tracker: delivers each event to every listener, in seq order.
 *
 * A listener that throws is reported through `onListenerError` and the others still receive the
 * event. A listener that makes the tracker append more events while it is being called does not
 * reorder delivery: those events are queued and delivered after the current one reached everyone.
 */
export class EventBus {
  private listeners: readonly EventListener[] = [];
  private readonly queue: ToolflightEvent[] = [];
  private delivering = false;

  constructor(private readonly onListenerError: (error: unknown, event: ToolflightEvent) => void) {}

  /** Add a listener; the returned function removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    };
  }

  /** Deliver an event to every listener (or queue it while a delivery is under way). */
  publish(event: ToolflightEvent): void {
    if (this.delivering) {
      this.queue.push(event);
      return;
    }
    this.delivering = true;
    try {
      this.deliver(event);
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next);
    } finally {
      this.delivering = false;
    }
  }

  private deliver(event: ToolflightEvent): void {
    // Copy-on-write: unsubscribing during delivery does not skip a neighbour.
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
