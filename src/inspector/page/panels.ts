/// <reference lib="dom" />
// @internal The captures table and the entities of the selected capture, at the cursor.
import type { CaptureSnapshot, ProjectionSnapshot } from '../../projections/snapshot.js';
import { unlabel } from '../../events/labelEvent.js';
import { maskSecrets } from '../../events/maskSecrets.js';
import { byId, countBelow, esc, VirtualList } from './dom.js';
import type { EventLog } from './eventLog.js';

/** Busy while anything is in flight, then a grace countdown, then idle (the `idle$` rule). */
export function idleState(
  log: EventLog,
  live: CaptureSnapshot | undefined,
  gen: number,
  count: number,
  now: number,
  graceMs: number,
): { label: string; css: string } {
  if (!live) return { label: 'ended', css: 'gone' };
  if (live.state !== 'active') return { label: 'idle (cleared)', css: 'idle' };
  if (live.inFlight > 0) return { label: 'busy', css: 'busy' };
  const info = log.generations.get(gen);
  const activity = info?.activity ?? [];
  let last = info?.begun ?? 0;
  for (let i = activity.length - 1; i >= 0; i--) {
    if (activity[i]! < count) {
      last = activity[i]!;
      break;
    }
  }
  const quietFor = now - (log.events[last]?.at ?? now);
  return quietFor < graceMs
    ? { label: `grace ${Math.max(0, Math.ceil(graceMs - quietFor))} ms`, css: 'grace' }
    : { label: 'idle', css: 'idle' };
}

/** In fleet mode: the captures table gets a host column, and shows one host or all (''). */
export interface CapturesFleet {
  readonly host: string;
  /** The time at the cursor on a host's own clock (hosts' clocks differ). */
  readonly nowOf: (host: string) => number;
}

/** Render the captures known at the cursor; the selected generation is highlighted. */
export function renderCaptures(
  log: EventLog,
  snapshot: ProjectionSnapshot,
  count: number,
  selected: number | undefined,
  now: number,
  graceMs: number,
  fleet?: CapturesFleet,
): void {
  const live = new Map(snapshot.captures.map((capture) => [capture.gen, capture]));
  let rows = '';
  for (const info of log.generations.values()) {
    if (info.begun >= count) continue;
    let key = info.key;
    let host = '';
    let at = now;
    if (fleet) {
      const { label, name } = unlabel(info.key);
      if (fleet.host && label !== fleet.host) continue;
      key = name;
      host = `<td class="mono host">${esc(label ?? '')}</td>`;
      if (label !== undefined) at = fleet.nowOf(label);
    }
    const capture = live.get(info.gen);
    const idle = idleState(log, capture, info.gen, count, at, graceMs);
    rows += `<tr data-gen="${info.gen}" data-key="${esc(info.key)}"${info.gen === selected ? ' class="sel"' : ''}>
${host}<td class="mono">${esc(key)}</td><td>${info.gen}${capture && !capture.current ? ' (old)' : ''}</td>
<td class="in-flight">${capture?.inFlight ?? 0}</td><td>${capture?.activityVersion ?? '-'}</td>
<td class="idle-state ${idle.css}">${esc(idle.label)}</td></tr>`;
  }
  byId('captures-body').innerHTML =
    rows || `<tr><td colspan="${fleet ? 6 : 5}" class="hint">no capture yet</td></tr>`;
}

const ROW = 22;

/** The entities of one generation, every one started before the cursor, finished ones too. */
export class EntitiesPanel {
  /** The selected generation's entities, in the order they started; the first `shown` are shown. */
  private ids: readonly string[] = [];
  private shown = 0;
  private count = 0;
  private readonly list: VirtualList;

  constructor(
    private readonly log: EventLog,
    private readonly onSelect: (id: string) => void,
  ) {
    this.list = new VirtualList(byId('entities'), ROW, (i, top) => this.row(i, top));
    byId('entities').addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-id]');
      if (row?.dataset.id) this.onSelect(row.dataset.id);
    });
  }

  selected: string | undefined;

  render(gen: number | undefined, count: number): void {
    const info = gen === undefined ? undefined : this.log.generations.get(gen);
    // A generation lists its entities in the order they started: those started before the
    // cursor are a prefix, found by a binary search (a scrub costs the same at any length).
    const ids = (this.ids = info?.entities ?? []);
    this.shown = countBelow(
      ids.length,
      (i) => (this.log.entities.get(ids[i]!)?.events[0] ?? Infinity) < count,
    );
    this.count = count;
    byId('entities-title').textContent = info
      ? `entities of ${info.key} #${info.gen} (${this.shown})`
      : 'entities';
    this.list.update(this.shown, true);
  }

  private row(position: number, top: number): string {
    const id = this.ids[position];
    const entity = id === undefined ? undefined : this.log.entities.get(id);
    const at = entity && this.log.entityAt(entity, this.count);
    if (!entity || !at || id === undefined) return '';
    const duration =
      at.endedAt === undefined ? 'running' : `${Math.round(at.endedAt - at.startedAt)} ms`;
    const name = entity.kind === 'request' ? (at.method ?? 'request') : (entity.toolName ?? '');
    const args = at.args ? JSON.stringify(maskSecrets(at.args)) : '';
    return `<div class="row ent${id === this.selected ? ' sel' : ''}" data-id="${esc(id)}" style="top:${top}px">
<span>${esc(id)}</span><span class="state st-${esc(at.state)}">${esc(at.state)}</span>
<span class="name">${esc(name)}</span><span class="outcome o-${esc(at.outcome ?? '')}">${esc(at.outcome ?? '')}</span>
<span class="duration">${esc(duration)}</span><span class="args t">${esc(args)}</span></div>`;
  }
}
