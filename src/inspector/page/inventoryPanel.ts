/// <reference lib="dom" />
// @internal The inventory at the cursor: every server a gateway is configured with, its state,
// its catalog's age, its notice and its tools under their gateway names, read by the library's
// own `inventoryOf` from the fold `InventoryCursor` keeps.
import { maskText } from '../../events/maskSecrets.js';
import type { ToolflightEvent } from '../../events/types.js';
import { inventoryOf, type InventoryServer } from '../../projections/inventory.js';
import { byId, esc } from './dom.js';
import { InventoryCursor } from './inventoryCursor.js';

/** Where the panel reads the inventory: its clock, and the capture the page has selected. */
export interface InventoryView {
  /** Now, for catalog ages and retry countdowns. */
  readonly now: number;
  readonly capture: string | undefined;
}

/** Seconds, or minutes past two of them, or hours past two of those. */
function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 120 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/** The servers of a gateway at the cursor; hidden while the log names none. */
export class InventoryPanel {
  private readonly cursor = new InventoryCursor();
  /** Servers whose tool list is expanded: kept across redraws, which replace the rows. */
  private readonly open = new Set<string>();
  private drawn = '';

  constructor() {
    // `toggle` does not bubble, but a listener on the capture path sees it.
    byId('inventory-body').addEventListener(
      'toggle',
      (event) => {
        const details = event.target as HTMLDetailsElement;
        const server = details.dataset.server;
        if (server === undefined) return;
        if (details.open) this.open.add(server);
        else this.open.delete(server);
      },
      true,
    );
  }

  /** Forget the log (a recording replaced it). */
  reset(): void {
    this.cursor.reset();
    this.drawn = '';
  }

  render(events: readonly ToolflightEvent[], count: number, view: InventoryView): void {
    this.cursor.scan(events);
    const section = byId('inventory-section');
    section.hidden = !this.cursor.servers;
    if (section.hidden) return;
    const state = this.cursor.at(events, count);
    const { capture, now } = view;
    const inventory = inventoryOf(state, {
      at: now,
      ...(capture === undefined ? {} : { capture }),
    });
    const counts =
      `${inventory.servers.length} server${inventory.servers.length === 1 ? '' : 's'} · ` +
      `${inventory.tools.length} tool${inventory.tools.length === 1 ? '' : 's'}`;
    // The page runs no narrower (it is the host's code): an agent may see fewer of these.
    const hint = `${capture === undefined ? '' : `for ${capture}, `}before narrowing`;
    byId('inventory-counts').textContent = counts;
    byId('inventory-hint').textContent = hint;
    let rows = '';
    for (const server of inventory.servers) rows += this.row(server, now);
    rows ||= '<tr><td colspan="5" class="hint">no server configured yet</td></tr>';
    // Scrubbing redraws every frame: rows that did not change are not rebuilt.
    if (rows === this.drawn) return;
    this.drawn = rows;
    byId('inventory-body').innerHTML = rows;
  }

  private row(server: InventoryServer, now: number): string {
    const name = esc(server.server);
    let state = esc(server.state);
    const failed = server.state === 'down' || server.state === 'exited';
    // An exit reason or a stderr line may quote the server's environment: masked.
    if (failed && server.reason !== undefined) state += `: ${esc(maskText(server.reason))}`;
    if (server.state === 'down' && server.retryAt !== undefined) {
      const left = server.retryAt - now;
      state +=
        left > 0
          ? ` · <span class="countdown">retry in ${Math.ceil(left / 1000)} s</span>`
          : ' · retry due';
    }
    const catalog =
      server.catalogAgeMs === undefined
        ? '<span class="gone">not listed</span>'
        : `listed ${server.catalogAgeMs < 1000 ? 'just now' : `${duration(server.catalogAgeMs)} ago`}${server.kept ? ' (kept copy)' : ''}`;
    const tools = server.tools.length;
    const list = server.tools
      .map((tool) => {
        const plain = tool.name === `${server.server}__${tool.tool}`;
        return `<li><span class="mono">${esc(tool.name)}</span>${plain ? '' : ` <span class="gone">listed as ${esc(tool.tool)}</span>`}</li>`;
      })
      .join('');
    const toolCell =
      tools === 0
        ? '0'
        : `<details data-server="${name}"${this.open.has(server.server) ? ' open' : ''}><summary>${tools} tool${tools === 1 ? '' : 's'}</summary><ul>${list}</ul></details>`;
    let html =
      `<tr data-server="${name}" class="inv-${esc(server.state)}">` +
      `<td class="mono inv-name">${name}${server.configured ? '' : ' <span class="gone">(not configured)</span>'}</td>` +
      `<td class="inv-state">${state}</td>` +
      `<td class="inv-catalog"${server.fingerprint === undefined ? '' : ` title="fingerprint ${esc(server.fingerprint)}"`}>${catalog}</td>` +
      `<td class="inv-notice">${esc(server.notice ?? '')}</td>` +
      `<td class="inv-tools">${toolCell}</td></tr>`;
    if (failed && server.stderrTail.length > 0) {
      const lines = server.stderrTail.map((line) => esc(maskText(line))).join('\n');
      html += `<tr class="inv-stderr" data-stderr-of="${name}"><td colspan="5"><pre>${lines}</pre></td></tr>`;
    }
    return html;
  }
}
