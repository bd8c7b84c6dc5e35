/// <reference lib="dom" />
// The inspector page: the stream (or a loaded recording), folded at the scrubber by the
// library's own reducers, in every view.
import { decodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';
import { maskSecrets, maskText } from '../../events/maskSecrets.js';
import { drawChart, overviewEventAt } from './chart.js';
import { connect, WindowChannel, type ServerWindow } from './connection.js';
import { diagramSvg } from './diagram.js';
import { byId, countBelow, esc } from './dom.js';
import { EventLog, settledOutcome } from './eventLog.js';
import { readFindParams, wireFailureJumps, writeFindParams } from './find.js';
import { FLEET_SECTION, FleetIndex, HOST_FILTER, renderFleet } from './fleetPanel.js';
import { InventoryPanel } from './inventoryPanel.js';
import { wireShortcuts } from './keys.js';
import { LAYOUT } from './layout.js';
import {
  globalOf,
  holdWindow,
  localOf,
  wholeSpan,
  type Span,
  type WindowAt,
  type WindowHeader,
} from './logWindow.js';
import { OutboxPanel } from './outboxPanel.js';
import { EntitiesPanel, renderCaptures } from './panels.js';
import { ProjectionCursor } from './projectionCursor.js';
import { RemoteMatches } from './remoteMatches.js';
import { wireRecordingIo } from './recordingIo.js';
import { onSchemeChange } from './theme.js';
import { Timeline, type TimelineFilter } from './timeline.js';
import { Waterfall, WATERFALL_LEGEND } from './waterfall.js';

const app = byId('app');
const title = app.dataset.title ?? '';
/** A log merged from several hosts (`createInspector({ feed, fleet: true })`). */
const fleet = app.dataset.fleet === '1';
app.innerHTML = LAYOUT;
byId('source').textContent = title;
if (fleet) {
  // Labelled entity ids are longer: the entities' first column is wider.
  app.classList.add('fleet');
  byId('status').insertAdjacentHTML('afterend', HOST_FILTER);
  byId('captures').querySelector('tr')!.insertAdjacentHTML('afterbegin', '<th>host</th>');
  byId('captures').closest('section')!.insertAdjacentHTML('beforebegin', FLEET_SECTION);
}

const token = new URLSearchParams(location.search).get('token') ?? '';
/** Where the windows after the first come from: a socket, or fetches when it cannot open. */
const channel = new WindowChannel(token);
const log = new EventLog();
const projection = new ProjectionCursor(log);
const view = {
  /** How many events the views fold: the scrubber's position. */
  cursor: 0,
  live: true,
  selectedGen: undefined as number | undefined,
  selectedEvent: undefined as number | undefined,
  /** Wall clock minus event clock, learnt from live events, for the grace countdown. */
  skew: undefined as number | undefined,
  playing: 0,
};
const timeline = new Timeline(log, (index) => selectEvent(index), fleet, {
  matches: new RemoteMatches(token, schedule),
  onReveal: (index) => goTo(index),
});
const hosts = new FleetIndex();
const entities = new EntitiesPanel(log, (id) => selectEntity(id));
const outbox = new OutboxPanel();
const inventory = new InventoryPanel();
const scrubber = byId<HTMLInputElement>('scrubber');
byId('waterfall-legend').innerHTML = WATERFALL_LEGEND;
const waterfall = new Waterfall(log, byId<HTMLCanvasElement>('waterfall'), (id) =>
  selectEntity(id),
);
let frame = 0;
/** Where the page's log sits in the server's: the whole log, or one window of it. */
let span: Span = wholeSpan(0, 0);
/** The newest live events, for a window of the log's end that comes after some of them. */
const recent: ToolflightEvent[] = [];
const RECENT = 10_000;
/** The server log's position of the cursor. */
const position = (): number => globalOf(span, view.cursor);
/** False until the stream's history is all in. */
let caughtUp = false;
let disconnect: (() => void) | undefined;

const graceMs = () => Math.max(0, Number(byId<HTMLInputElement>('grace').value) || 0);

function schedule(): void {
  frame ||= requestAnimationFrame(render);
}

/** Following a live source whose clock is learnt: the countdowns move with the wall clock. */
const clockRuns = (): boolean => view.live && view.skew !== undefined && disconnect !== undefined;

function now(): number {
  const at = log.events[view.cursor - 1]?.at ?? 0;
  return clockRuns() ? Math.max(at, Date.now() - view.skew!) : at;
}

/** The timer that draws a running countdown again; one at a time. */
let tick = 0;
function redrawIn(ms: number): void {
  tick ||= window.setTimeout(() => {
    tick = 0;
    schedule();
  }, ms);
}

function render(): void {
  // Called directly (a test, the benchmark): the frame asked for would draw the same again.
  if (frame) cancelAnimationFrame(frame);
  frame = 0;
  const count = view.cursor;
  const snapshot = projection.at(count);
  scrubber.max = String(span.total);
  scrubber.value = String(position());
  const seq = log.events[count - 1]?.seq ?? 0;
  byId('seq').textContent = `seq ${seq} / ${span.lastSeq}`;
  const held = log.length - span.context;
  byId('held').textContent =
    held < span.total
      ? `holding events ${(span.start + 1).toLocaleString('en-US')}–${(span.start + held).toLocaleString('en-US')} of ${span.total.toLocaleString('en-US')}`
      : '';
  byId('seq').dataset.seq = String(seq);
  writeFragment(seq);
  byId('live').classList.toggle('on', view.live);
  const status = byId('status');
  status.classList.toggle('past', !view.live);
  if (view.selectedGen === undefined) view.selectedGen = [...log.generations.keys()].pop();
  if (fleet) hosts.update(log);
  const host = timeline.filter.host;
  // Following live, the wall clock; back in time, each host's own clock at the cursor.
  const wall =
    view.live && disconnect !== undefined ? { wall: Date.now(), skew: view.skew } : undefined;
  const nowOf = (label: string) => hosts.nowAt(log, label, count, wall);
  renderCaptures(
    log,
    snapshot,
    count,
    view.selectedGen,
    now(),
    graceMs(),
    fleet ? { host, nowOf } : undefined,
  );
  if (fleet) renderFleet(log, hosts, snapshot, count, nowOf, graceMs(), host);
  entities.render(view.selectedGen, count);
  outbox.render(log.events, count);
  inventory.render(log.events, count, { now: now(), capture: selectedCapture(count) });
  timeline.render(count, view.selectedEvent, view.live, held < span.total ? span : undefined);
  renderDiagram(count);
  drawChart(byId<HTMLCanvasElement>('chart'), log, count, graceMs(), span.overview);
  waterfall.render({ count, now: now(), graceMs: graceMs(), selected: entities.selected });
  refreshOptions();
  // A countdown moves only with the wall clock, following live: redraw while one runs. Back in
  // time the cursor's clock stands still, and so do they (a page paused in a grace window drew
  // every view ten times a second, and a scrub added a timer per move).
  if (clockRuns()) {
    if (document.querySelector('.idle-state.grace')) redrawIn(100);
    else if (document.querySelector('#inventory-body .countdown')) redrawIn(1000);
  }
}

/** The key of the selected capture, once it has begun at the cursor. */
function selectedCapture(count: number): string | undefined {
  const info = view.selectedGen === undefined ? undefined : log.generations.get(view.selectedGen);
  return info !== undefined && info.begun < count ? info.key : undefined;
}

function renderDiagram(count: number): void {
  const entity = entities.selected === undefined ? undefined : log.entities.get(entities.selected);
  const kind = entity?.kind ?? 'toolCall';
  byId('diagram-title').textContent = entity
    ? `machine: ${kind} ${entity.id}${entity.toolName ? ` (${entity.toolName})` : ''}`
    : 'machine: toolCall (select an entity)';
  const svg = diagramSvg(kind, entity && log.entityAt(entity, count));
  // The same picture is not parsed, laid out and painted again (most moves keep it).
  if (svg !== shownDiagram) byId('diagram').innerHTML = shownDiagram = svg;
}
let shownDiagram = '';

const optionCounts = { type: -1, capture: -1, tool: -1, host: -1 };
function refreshOptions(): void {
  const fill = (id: string, key: keyof typeof optionCounts, values: Iterable<string>) => {
    const list = [...new Set(values)].sort();
    if (list.length === optionCounts[key]) return;
    optionCounts[key] = list.length;
    const select = byId<HTMLSelectElement>(id);
    const keep = select.value;
    const first = select.options[0]!.outerHTML;
    select.innerHTML =
      first + list.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
    select.value = keep;
  };
  // Over a window of a longer log, the whole log's names: the filters look through all of it.
  const whole = span.choices;
  fill('filter-type', 'type', [...log.types, ...(whole?.types ?? [])]);
  fill('filter-capture', 'capture', [
    ...[...log.generations.values()].map((g) => g.key),
    ...(whole?.captures ?? []),
  ]);
  fill('filter-tool', 'tool', [...log.tools, ...(whole?.tools ?? [])]);
  if (fleet) fill('filter-host', 'host', hosts.hosts.keys());
}

/** The index of the event with `text` as its seq, if the log holds it (seqs ascend). */
function indexOfSeq(text: string | null): number | undefined {
  const seq = Number(text);
  if (text === null || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  const at = countBelow(log.length, (i) => log.events[i]!.seq < seq);
  return log.events[at]?.seq === seq ? at : undefined;
}

/** The fragment to write, and the timer that writes it. */
const fragment = { wanted: '', timer: 0 };

/**
 * The view as the URL's fragment, a permalink: `#seq=12&event=7&outcome=failed` (the cursor's
 * seq, the selected event's, then the timeline's filters: find.ts), no seq while following
 * live. Written once the history is in, so that the fragment a page was opened with is read
 * first; at most every 250 ms, since browsers throttle `history.replaceState` (Firefox throws)
 * and play redraws 20 times a second.
 */
function writeFragment(seq: number): void {
  if (!caughtUp) return;
  const params = new URLSearchParams();
  if (!view.live) params.set('seq', String(seq));
  const selected = view.selectedEvent === undefined ? undefined : log.events[view.selectedEvent];
  if (selected) params.set('event', String(selected.seq));
  writeFindParams(params, timeline.filter);
  fragment.wanted = params.size > 0 ? `#${params.toString()}` : '';
  if (fragment.timer || location.hash === fragment.wanted) return;
  fragment.timer = window.setTimeout(() => {
    fragment.timer = 0;
    if (location.hash === fragment.wanted) return;
    try {
      history.replaceState(null, '', `${location.pathname}${location.search}${fragment.wanted}`);
    } catch {
      // Throttled: the next change writes it.
    }
  }, 250);
}

/**
 * Go where the URL's fragment says: a seq outside the window held is fetched first (once), a
 * seq the log does not hold is ignored.
 */
function readFragment(fetched = false): void {
  const params = new URLSearchParams(location.hash.slice(1));
  const seq = Number(params.get('seq'));
  const at = indexOfSeq(params.get('seq'));
  if (at === undefined && !fetched && log.length - span.context < span.total && seq > 0) {
    return wantWindow({ seq }, () => {
      readFragment(true);
      schedule();
    });
  }
  if (at !== undefined && at >= span.context) {
    stop();
    view.live = false;
    view.cursor = at + 1;
  }
  const selected = indexOfSeq(params.get('event'));
  if (selected !== undefined) selectEvent(selected);
  refreshOptions();
  if (readFindParams(params, timeline.filter, log, span.choices)) timeline.refilter();
}
window.addEventListener('hashchange', () => {
  readFragment();
  schedule();
});

function selectEvent(index: number): void {
  const event = log.events[index];
  if (!event) return;
  view.selectedEvent = index;
  if (event.gen !== undefined && log.generations.has(event.gen)) view.selectedGen = event.gen;
  if (event.id !== undefined && log.entities.has(event.id)) entities.selected = event.id;
  byId('detail').textContent = JSON.stringify(maskEvent(event), null, 2);
  schedule();
}

function selectEntity(id: string): void {
  entities.selected = id;
  const first = log.entities.get(id)?.events[0];
  if (first !== undefined) selectEvent(first);
  schedule();
}

/** An event with its data masked, by key and by value, as everything the page shows. */
function maskEvent(event: ToolflightEvent): ToolflightEvent {
  return event.data === undefined ? event : ({ ...event, data: maskSecrets(event.data) } as never);
}

/**
 * Go to an event of the server's log and select it (a failure jumped to, a row of the timeline
 * filtered over the whole log): the cursor just past it, in the window around it once that has
 * come. Play stops and the page no longer follows live.
 */
function goTo(index: number): void {
  stop();
  view.live = false;
  const count = localOf(span, log, index + 1);
  if (count === undefined) {
    return wantWindow({ at: index + 1 }, (header) => {
      // Superseded by a later move: that one stands.
      if (header !== undefined && localOf(span, log, index + 1) !== undefined) goTo(index);
    });
  }
  view.cursor = count;
  selectEvent(count - 1);
}

/**
 * Move the cursor to a position of the server's log: at once inside the window held, else
 * once the window around it has come.
 */
function moveTo(target: number): void {
  const to = Math.max(0, Math.min(span.total, target));
  const count = localOf(span, log, to);
  // Asked again once held: the end (the live button's Infinity) may have moved meanwhile.
  if (count === undefined) return wantWindow({ at: to }, () => moveTo(target));
  view.cursor = count;
  view.live = count === log.length && span.atEnd && disconnect !== undefined && view.live;
  schedule();
}

/** The window asked for last, with what to do once it is held; one request at a time. */
let pending:
  { readonly where: WindowAt; readonly then: (header?: WindowHeader) => void } | undefined;
let fetching = false;

/**
 * Ask for the window around `where`; `then` runs once it is held. Scrubbing fast asks for a
 * window per move: only the newest wish waits, and each answer is shown as it comes.
 */
function wantWindow(where: WindowAt, then: (header?: WindowHeader) => void): void {
  pending = { where, then };
  if (fetching) return;
  fetching = true;
  byId('held').textContent = 'loading…';
  void (async () => {
    while (pending) {
      const wish = pending;
      pending = undefined;
      let header: WindowHeader;
      try {
        const window = await channel.get(wish.where);
        showWindow(window);
        header = window.header;
      } catch (error) {
        showError(error);
        continue;
      }
      // A newer wish may fall in this window: done now, else it is fetched next.
      const next = pending ?? wish;
      pending = undefined;
      next.then(next === wish ? header : undefined);
    }
    fetching = false;
    for (const resolve of held.splice(0)) resolve();
  })();
}

/**
 * The window held grew at the end past twice a window (a followed recording): hold one window
 * again, the end's while following live, else the one around the cursor, so that a page left
 * open on a growing file keeps about a window and not all it was sent.
 */
function windowAgain(follow: boolean): void {
  if (fetching) return;
  const target = follow ? Infinity : position();
  wantWindow(follow ? undefined : { at: target }, () => moveTo(target));
}

/**
 * How long the chart's overview of the whole log may lag the events that came since the
 * window held (a followed recording): it comes with a window, so one is asked for again.
 */
const OVERVIEW_LAG_MS = 2_000;
let overviewTimer = 0;

/** The overview no longer reaches the newest event: take a window again, once a while. */
function overviewSoon(): void {
  overviewTimer ||= window.setTimeout(() => {
    overviewTimer = 0;
    windowAgain(view.live && view.cursor === log.length && span.atEnd);
  }, OVERVIEW_LAG_MS);
}

/** Waiting for the windows asked for to be held (the benchmark and tests). */
const held: (() => void)[] = [];
const whenHeld = (): Promise<void> =>
  fetching ? new Promise((resolve) => held.push(resolve)) : Promise.resolve();

/** Hold a window of the server's log: the views start again over it; the selection stays. */
function showWindow(window: ServerWindow): void {
  const selected = view.selectedEvent === undefined ? undefined : log.events[view.selectedEvent];
  resetViews();
  span = holdWindow(log, projection, window);
  if (window.header.truncated) {
    byId('banner').innerHTML =
      '<div class="banner">this part of the log needs more earlier events than a window carries (20,000): the oldest captures, entities or outbox entries may be missing from the views</div>';
  }
  if (span.atEnd) {
    for (const event of recent) {
      if (event.seq <= span.lastSeq) continue;
      log.append(event);
      span.total += 1;
      span.lastSeq = event.seq;
    }
  }
  view.cursor = Math.max(span.context, Math.min(view.cursor, log.length));
  const again = selected === undefined ? undefined : indexOfSeq(String(selected.seq));
  if (again !== undefined) view.selectedEvent = again;
  else {
    view.selectedEvent = undefined;
    byId('detail').textContent = '';
  }
  if (entities.selected !== undefined && !log.entities.has(entities.selected))
    entities.selected = undefined;
  if (view.selectedGen !== undefined && !log.generations.has(view.selectedGen))
    view.selectedGen = undefined;
}

function showError(error: unknown): void {
  byId('banner').innerHTML = `<div class="banner">${esc(maskText(String(error)))}</div>`;
}

/** The views' own indexes of the log, forgotten when the log is replaced. */
function resetViews(): void {
  projection.reset();
  outbox.reset();
  inventory.reset();
  hosts.reset();
  timeline.refilter();
}

function stop(): void {
  if (view.playing) clearInterval(view.playing);
  view.playing = 0;
  byId('play').textContent = '▶ play';
}

/** A move made by hand: play stops and the page no longer follows live. */
function moveByHand(target: number): void {
  stop();
  view.live = false;
  moveTo(target);
}

scrubber.addEventListener('input', () => moveByHand(Number(scrubber.value)));
byId('step-back').addEventListener('click', () => moveByHand(position() - 1));
byId('step-fwd').addEventListener('click', () => moveByHand(position() + 1));
byId('live').addEventListener('click', () => {
  stop();
  view.live = disconnect !== undefined;
  moveTo(Infinity);
});
byId('play').addEventListener('click', () => {
  if (view.playing) return stop();
  view.live = false;
  if (position() >= span.total) moveTo(0);
  byId('play').textContent = '❚❚ pause';
  view.playing = window.setInterval(() => {
    if (position() >= span.total) return stop();
    // A move waits for the window it needs: play does not run ahead of what is shown.
    if (!fetching) moveTo(position() + Math.max(1, Math.floor(span.total / 400)));
  }, 50);
});
wireShortcuts(app, {
  seek(to) {
    moveByHand(to(position(), span.total));
  },
});
// The chart is a canvas: drawn again in the new scheme's colours.
onSchemeChange(schedule);
byId('captures-body').addEventListener('click', (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>('[data-gen]');
  if (!row) return;
  view.selectedGen = Number(row.dataset.gen);
  schedule();
});
byId('grace').addEventListener('input', schedule);
// Over a window of a longer log, the chart is the whole log's: a click goes to that stretch.
byId('chart').addEventListener('click', (event) => {
  const { overview } = span;
  if (!overview) return;
  const chart = event.currentTarget as HTMLCanvasElement;
  const first = overviewEventAt(overview, event.offsetX, chart.clientWidth);
  if (first !== undefined) moveByHand(first + 1);
});
if (fleet) {
  // A host's row picks it in the host filter; its selected row again shows every host.
  byId('fleet-body').addEventListener('click', (event) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-host]');
    if (!row) return;
    const select = byId<HTMLSelectElement>('filter-host');
    select.value = select.value === row.dataset.host ? '' : (row.dataset.host ?? '');
    select.dispatchEvent(new Event('input'));
  });
}

const filters: [string, keyof TimelineFilter][] = [
  ['filter-type', 'type'],
  ['filter-capture', 'capture'],
  ['filter-tool', 'tool'],
  ['search', 'search'],
  ['filter-outcome', 'outcome'],
  ['filter-slower', 'slower'],
  ...(fleet ? [['filter-host', 'host'] as [string, 'host']] : []),
];
for (const [id, key] of filters) {
  byId(id).addEventListener('input', () => {
    timeline.filter[key] = byId<HTMLInputElement>(id).value;
    timeline.refilter();
    schedule();
  });
}

wireFailureJumps(log, {
  from: () => ({ selected: view.selectedEvent, cursor: view.cursor }),
  span: () => span,
  // A failure the page holds (never one of a window's context): goTo finds it held.
  go: (index) => goTo(globalOf(span, index + 1) - 1),
  beyond(next, from, found) {
    wantWindow({ failure: next ? 'next' : 'prev', from }, (header) => {
      // Superseded by a later move: the jump is dropped.
      if (header === undefined) return;
      const count =
        typeof header.failure === 'number' ? localOf(span, log, header.failure + 1) : undefined;
      found(count === undefined ? undefined : count - 1);
    });
  },
});

/** Replace the stream with a recording's events (the live connection is closed). */
function loadRecording(name: string, text: string): void {
  disconnect?.();
  disconnect = undefined;
  pending = undefined;
  log.clear();
  resetViews();
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      log.append(decodeEvent(line, { source: name, line: i + 1 }));
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  span = wholeSpan(log.length, log.events[log.length - 1]?.seq ?? 0);
  Object.assign(view, { cursor: log.length, live: false, selectedGen: undefined });
  view.selectedEvent = undefined;
  entities.selected = undefined;
  byId('source').textContent = `file: ${name}`;
  byId('status').textContent = `${log.length.toLocaleString('en-US')} events loaded`;
  byId('banner').innerHTML = problems.length
    ? `<div class="banner">${problems.length} bad line(s) skipped; first: ${esc(maskText(problems[0] ?? ''))}</div>`
    : '';
  schedule();
}

// A window of the server's log exports the whole log, from the server.
wireRecordingIo(loadRecording, () =>
  log.length - span.context < span.total && disconnect !== undefined
    ? `/history?token=${encodeURIComponent(token)}`
    : log.events,
);

/** The seq a permalink opens at, so that the first window is the one around it. */
const openedAt = Number(new URLSearchParams(location.hash.slice(1)).get('seq'));
const permalink = Number.isSafeInteger(openedAt) && openedAt > 0;
disconnect = connect(
  token,
  {
    onWindow(window) {
      showWindow(window);
      view.cursor = log.length;
      // A window of a longer log: the scrubber will ask for others, on a socket opened now.
      if (log.length - span.context < span.total) channel.open();
      // The end of the log is shown at once, not once the stream is live: opened at a
      // permalink, the page waits for that, which moves to the seq (readFragment).
      if (!permalink) schedule();
    },
    onEvents(events) {
      const follow = view.live && view.cursor === log.length && span.atEnd;
      for (const event of events) {
        if (event.seq <= span.lastSeq) continue;
        span.total += 1;
        span.lastSeq = event.seq;
        recent.push(event);
        // A window of an earlier part: the new events are counted, and kept for later.
        if (span.atEnd) log.append(event);
        else if ((settledOutcome(event) ?? 'completed') !== 'completed') span.failuresAfter += 1;
      }
      if (recent.length > 2 * RECENT) recent.splice(0, recent.length - RECENT);
      const last = events[events.length - 1];
      if (follow) view.cursor = log.length;
      if (span.atEnd && span.size !== undefined && log.length - span.context > 2 * span.size)
        windowAgain(follow);
      else if (last && span.overview && last.at > span.overview.t1) overviewSoon();
      if (!caughtUp) {
        // Drawing every view for each part of a long history would cost more than folding it.
        byId('status').textContent = `loading ${log.length.toLocaleString('en-US')} events…`;
        return;
      }
      if (last) view.skew ??= Date.now() - last.at;
      if (fleet) hosts.learnClocks(events, Date.now());
      schedule();
    },
    onStatus(status) {
      if (!caughtUp && status === 'live') {
        caughtUp = true;
        readFragment();
      }
      byId('status').textContent = status;
      byId('status').classList.toggle('live', status === 'live');
      // Nothing to draw yet while the first window is on its way.
      if (status !== 'connecting') schedule();
    },
    onError(error) {
      showError(error);
      schedule();
    },
    onGap(after) {
      byId('banner').innerHTML =
        `<div class="banner">the server no longer keeps the events up to seq ${after} (a bounded store): the views fold from the oldest kept event, so work begun earlier is missing</div>`;
    },
  },
  permalink ? { seq: openedAt } : undefined,
);
// Exposed for tests and the benchmark: how many events are folded and shown.
Object.assign(window, {
  toolflightInspector: {
    log,
    view,
    moveTo,
    render,
    /** A window is being fetched; `whenHeld` resolves once none is. */
    get fetching() {
      return fetching;
    },
    whenHeld,
    /** The whole log's overview, as the last window brought it (the chart draws it). */
    get overview() {
      return span.overview;
    },
    /** The windows' socket (tests close it, as a server that lost it would). */
    channel,
    /** A redraw is asked for: a frame, or a running countdown's timer. */
    get redrawDue() {
      return frame !== 0 || tick !== 0;
    },
    loadRecording,
    get waterfall() {
      return waterfall.state;
    },
  },
});
