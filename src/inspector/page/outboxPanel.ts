/// <reference lib="dom" />
// @internal The outbox at the cursor: buffered writes pending, delivered, and dead letters with
// their reasons, folded by the library's own `evolveOutbox` over the log's `outbox.*` events.
import { maskText } from '../../events/maskSecrets.js';
import type { ToolflightEvent } from '../../events/types.js';
import { evolveOutbox, initialOutboxState } from '../../projections/outbox.js';
import { byId, esc } from './dom.js';

/** Indexes of the log's outbox events, kept up to date as the log grows. */
export class OutboxPanel {
  private readonly indexes: number[] = [];
  private scanned = 0;

  /** Forget the log (a recording replaced it; a longer one would look like the same log). */
  reset(): void {
    this.indexes.length = 0;
    this.scanned = 0;
  }

  render(events: readonly ToolflightEvent[], count: number): void {
    // A shorter log is another log, even if nobody said so.
    if (events.length < this.scanned) this.reset();
    for (; this.scanned < events.length; this.scanned++) {
      if (events[this.scanned]!.type.startsWith('outbox.')) this.indexes.push(this.scanned);
    }
    const section = byId('outbox-section');
    section.hidden = this.indexes.length === 0;
    if (section.hidden) return;
    const state = initialOutboxState();
    for (const index of this.indexes) {
      if (index >= count) break;
      evolveOutbox(state, events[index]!);
    }
    byId('outbox-counts').innerHTML =
      `<span class="pending">${state.pending.size} pending</span> · ` +
      `<span class="o-completed">${state.delivered} delivered</span> · ` +
      `<span class="${state.dead.size ? 'o-failed' : ''}">${state.dead.size} dead</span>`;
    let rows = '';
    for (const entry of state.dead.values()) {
      rows += `<tr class="dead"><td class="mono">${esc(entry.key)}</td><td>${esc(entry.tool)}</td><td class="o-failed">${esc(maskText(entry.reason ?? ''))}</td></tr>`;
    }
    for (const entry of state.pending.values()) {
      rows += `<tr class="pending"><td class="mono">${esc(entry.key)}</td><td>${esc(entry.tool)}</td><td class="busy">pending</td></tr>`;
    }
    byId('outbox-body').innerHTML =
      rows || '<tr><td colspan="3" class="hint">nothing waiting</td></tr>';
  }
}
