import type { ToolflightEvent } from '../events/types.js';

/**
 * @internal A store's append listeners. Stores are below the bus, so a listener that throws is
 * the caller's bug: it is isolated from the others and from the append, and reported to `onError`.
 */
export class StoreListeners {
  private listeners: readonly ((event: ToolflightEvent) => void)[] = [];

  subscribe(listener: (event: ToolflightEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    };
  }

  notify(event: ToolflightEvent): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch {
        // An append listener must not make an append fail after the event was kept.
      }
    }
  }
}
