/// <reference lib="dom" />
// @internal The fleet view: a log merged from several hosts (`fleetFeed`), each host's names
// starting with its label (`host-a/run-1`). Which host an event is of, and each host's captures,
// in-flight work and idleness at the cursor.
import { labelOf, unlabel } from '../../events/labelEvent.js';
import type { ToolflightEvent } from '../../events/types.js';
import type { ProjectionSnapshot } from '../../projections/snapshot.js';
import { byId, esc } from './dom.js';
import type { EventLog } from './eventLog.js';
import { idleState } from './panels.js';

/** The fleet table, put above the captures when the page is in fleet mode. */
export const FLEET_SECTION = `<section id="fleet-section" style="flex:0 0 auto;max-height:25%"><h2>hosts <span id="fleet-counts"></span></h2>
  <div style="overflow:auto"><table id="fleet"><thead><tr><th>host</th><th>captures</th><th>in flight</th><th>last activity</th><th>idle</th></tr></thead>
  <tbody id="fleet-body"></tbody></table></div></section>`;

/** The host filter, put in the page's header in fleet mode. */
export const HOST_FILTER = `<label>host <select id="filter-host"><option value="">all hosts</option></select></label>`;

/**
 * The label of the host an event is of: from the first name it carries (`labelOf`: its
 * capture, its entity id, the session, server or outbox entry its data names); undefined for
 * an event that names nothing of its host (a `log.gap`, a host-wide context).
 */
export function hostOf(event: ToolflightEvent): string | undefined {
  return labelOf(event);
}

/** Each host's events, indexed as the log grows. */
export class FleetIndex {
  /** Label -> indexes into the log of its events, in order; hosts in the order first seen. */
  readonly hosts = new Map<string, number[]>();
  private scanned = 0;

  /** Index the events appended since the last call. */
  update(log: EventLog): void {
    if (log.length < this.scanned) this.reset();
    for (; this.scanned < log.length; this.scanned++) {
      const host = hostOf(log.events[this.scanned]!);
      if (host === undefined) continue;
      let list = this.hosts.get(host);
      if (!list) this.hosts.set(host, (list = []));
      list.push(this.scanned);
    }
  }

  /** Wall clock minus a host's clock, learnt from its first live event. */
  readonly skew = new Map<string, number>();

  /** Learn each host's clock from events that just arrived live. */
  learnClocks(events: readonly ToolflightEvent[], wall: number): void {
    for (const event of events) {
      const host = hostOf(event);
      if (host !== undefined && !this.skew.has(host)) this.skew.set(host, wall - event.at);
    }
  }

  /**
   * The time at the cursor on the host's own clock: its last event's there, or, following live,
   * the wall clock read on its clock (hosts' clocks differ: one host's time says nothing of
   * another's idleness).
   */
  nowAt(
    log: EventLog,
    host: string,
    count: number,
    live: { readonly wall: number; readonly skew: number | undefined } | undefined,
  ): number {
    const at = log.events[this.lastBefore(host, count)]?.at ?? 0;
    // A host quiet since the page connected: read the wall clock as the first live host's.
    const skew = this.skew.get(host) ?? live?.skew;
    return live === undefined || skew === undefined ? at : Math.max(at, live.wall - skew);
  }

  /** Forget everything (a recording replaced the log). */
  reset(): void {
    this.hosts.clear();
    this.skew.clear();
    this.scanned = 0;
  }

  /** The index of the host's last event among the first `count`, or -1. */
  lastBefore(host: string, count: number): number {
    const list = this.hosts.get(host) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < count) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1]! : -1;
  }
}

/** What one host looks like at the cursor. */
interface HostRow {
  captures: number;
  inFlight: number;
  busy: boolean;
  grace: boolean;
}

/**
 * Render one row per host seen before the cursor: its live captures, their work in flight, its
 * last event and whether it is idle (every capture idle by the `idle$` rule) at the cursor.
 */
export function renderFleet(
  log: EventLog,
  index: FleetIndex,
  snapshot: ProjectionSnapshot,
  count: number,
  nowOf: (host: string) => number,
  graceMs: number,
  selectedHost: string,
): void {
  const rows = new Map<string, HostRow>();
  for (const capture of snapshot.captures) {
    const host = unlabel(capture.key).label;
    if (host === undefined) continue;
    const row = rows.get(host) ?? { captures: 0, inFlight: 0, busy: false, grace: false };
    rows.set(host, row);
    row.captures += 1;
    row.inFlight += capture.inFlight;
    const idle = idleState(log, capture, capture.gen, count, nowOf(host), graceMs);
    row.busy ||= idle.css === 'busy';
    row.grace ||= idle.css === 'grace';
  }
  let html = '';
  let seen = 0;
  let idleHosts = 0;
  for (const host of index.hosts.keys()) {
    const last = index.lastBefore(host, count);
    if (last < 0) continue;
    seen += 1;
    const row = rows.get(host) ?? { captures: 0, inFlight: 0, busy: false, grace: false };
    const state =
      row.captures === 0
        ? { label: 'no capture', css: 'gone' }
        : row.busy
          ? { label: 'busy', css: 'busy' }
          : row.grace
            ? { label: 'grace', css: 'grace' }
            : { label: 'idle', css: 'idle' };
    if (state.css === 'idle' || state.css === 'gone') idleHosts += 1;
    const event = log.events[last]!;
    const ago = Math.max(0, Math.round(nowOf(host) - event.at));
    html += `<tr data-host="${esc(host)}"${host === selectedHost ? ' class="sel"' : ''}>
<td class="mono host">${esc(host)}</td><td class="captures">${row.captures}</td>
<td class="in-flight">${row.inFlight}</td><td class="last mono" data-seq="${event.seq}">seq ${event.seq} · ${ago} ms ago</td>
<td class="idle-state ${state.css}">${state.label}</td></tr>`;
  }
  byId('fleet-body').innerHTML = html || '<tr><td colspan="5" class="hint">no host yet</td></tr>';
  byId('fleet-counts').textContent = seen ? `${seen} · ${idleHosts} idle` : '';
}
