/// <reference lib="dom" />
// @internal In flight over time, grace windows shaded, the cursor marked.
import type { ToolflightEvent } from '../../events/types.js';
import type { EventLog } from './eventLog.js';
import type { Overview } from './logWindow.js';
import { themeColor } from './theme.js';

/** The theme's colours the chart uses, read when it draws (the scheme can change). */
interface Colors {
  readonly cursor: string;
  readonly label: string;
  readonly ground: string;
  readonly series: string;
  readonly grace: string;
}

const colors = (): Colors => ({
  cursor: themeColor('acc'),
  label: themeColor('dim'),
  ground: themeColor('bg'),
  series: themeColor('busy'),
  grace: themeColor('grace'),
});

/** The series as last drawn: a scrubber move over the same log only moves the cursor. */
interface Drawn {
  readonly log: EventLog;
  /** The log's last event when drawn (a log cleared and filled again has other objects). */
  readonly last: ToolflightEvent;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly graceMs: number;
  /** The series' colours: drawn again when the scheme changes. */
  readonly colors: Colors;
  readonly image: HTMLCanvasElement;
  readonly max: number;
}
let drawn: Drawn | undefined;

/** The overview as last drawn, on a canvas of its own. */
let drawnOverview:
  | { overview: Overview; width: number; height: number; series: string; image: HTMLCanvasElement }
  | undefined;

/**
 * Draw the whole log's in-flight series on `canvas`; `count` events are before the cursor. A
 * window of a longer log draws the server's `overview` of the whole log instead, with the
 * stretch held shaded.
 */
export function drawChart(
  canvas: HTMLCanvasElement,
  log: EventLog,
  count: number,
  graceMs: number,
  overview?: Overview,
): void {
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 70;
  // Set only when changed: setting either resets the bitmap, and each reset asks for a layout.
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, width, height);
  const events = log.events;
  if (events.length === 0) return;
  const theme = colors();
  if (overview) return drawWhole(g, overview, log, count, width, height, theme);
  if (
    drawn?.log !== log ||
    drawn.length !== events.length ||
    drawn.last !== events[events.length - 1] ||
    drawn.width !== width ||
    drawn.height !== height ||
    drawn.graceMs !== graceMs ||
    drawn.colors.series !== theme.series ||
    drawn.colors.grace !== theme.grace
  ) {
    drawn = drawSeries(log, width, height, graceMs, theme);
  }
  g.drawImage(drawn.image, 0, 0);
  const t0 = (events[log.context] ?? events[0]!).at;
  const span = Math.max(1, events[events.length - 1]!.at - t0);
  const cursor = events[Math.max(0, count - 1)];
  if (cursor) {
    g.fillStyle = theme.cursor;
    g.fillRect(Math.round(((cursor.at - t0) / span) * (width - 2) + 1), 0, 2, height);
  }
  label(g, `in flight (max ${drawn.max})`, theme);
}

function label(g: CanvasRenderingContext2D, text: string, theme: Colors): void {
  g.font = '11px sans-serif';
  // On the page's background, so the series never runs through the words.
  g.fillStyle = theme.ground;
  g.fillRect(2, 1, g.measureText(text).width + 8, 15);
  g.fillStyle = theme.label;
  g.fillText(text, 6, 12);
}

/**
 * The log's index of the first event in the overview's stretch under `x` on a chart `width`
 * wide, or in the next stretch that has one; undefined past the last event.
 */
export function overviewEventAt(overview: Overview, x: number, width: number): number | undefined {
  const { first } = overview;
  const bucket = Math.max(0, Math.min(first.length - 1, Math.floor((x / width) * first.length)));
  for (let i = bucket; i < first.length; i++) if (first[i]! >= 0) return first[i];
  return undefined;
}

/** Whether two overviews draw the same: each window brings its own copy of an unchanged one. */
function sameOverview(a: Overview, b: Overview): boolean {
  return (
    a === b ||
    (a.t0 === b.t0 &&
      a.t1 === b.t1 &&
      a.max.length === b.max.length &&
      a.max.every((value, i) => value === b.max[i]))
  );
}

/** The whole log's overview, the window held shaded, the cursor marked. */
function drawWhole(
  g: CanvasRenderingContext2D,
  overview: Overview,
  log: EventLog,
  count: number,
  width: number,
  height: number,
  theme: Colors,
): void {
  const { max, t0, t1 } = overview;
  const top = Math.max(1, ...max);
  if (
    drawnOverview === undefined ||
    !sameOverview(drawnOverview.overview, overview) ||
    drawnOverview.width !== width ||
    drawnOverview.height !== height ||
    drawnOverview.series !== theme.series
  ) {
    const image = document.createElement('canvas');
    image.width = width;
    image.height = height;
    const c = image.getContext('2d');
    if (c) {
      c.fillStyle = theme.series;
      const step = width / max.length;
      max.forEach((value, i) => {
        const h = (value / top) * (height - 10);
        c.fillRect(i * step, height - 4 - h, Math.max(1, step), h);
      });
    }
    drawnOverview = { overview, width, height, series: theme.series, image };
  }
  const x = (at: number) => ((at - t0) / Math.max(1, t1 - t0)) * width;
  const events = log.events;
  const from = (events[log.context] ?? events[0]!).at;
  const to = events[events.length - 1]!.at;
  g.fillStyle = theme.grace;
  g.fillRect(x(from), 0, Math.max(2, x(to) - x(from)), height);
  g.drawImage(drawnOverview.image, 0, 0);
  const cursor = events[Math.max(0, count - 1)];
  if (cursor) {
    g.fillStyle = theme.cursor;
    g.fillRect(Math.round(x(cursor.at)), 0, 2, height);
  }
  label(
    g,
    `in flight over the whole log (max ${top}; shaded: the window held; click to go there)`,
    theme,
  );
}

/** The grace windows and the in-flight steps of the whole log, on a canvas of their own. */
function drawSeries(
  log: EventLog,
  width: number,
  height: number,
  graceMs: number,
  colors: Colors,
): Drawn {
  const image = document.createElement('canvas');
  image.width = width;
  image.height = height;
  const events = log.events;
  const t0 = (events[log.context] ?? events[0]!).at;
  const span = Math.max(1, events[events.length - 1]!.at - t0);
  const x = (at: number) => ((at - t0) / span) * (width - 2) + 1;
  let max = 1;
  for (const value of log.inFlight) if (value > max) max = value;
  const y = (value: number) => height - 4 - (value / max) * (height - 10);
  const last = events[events.length - 1]!;
  const done = { log, last, length: events.length, width, height, graceMs, colors, image, max };
  const g = image.getContext('2d');
  if (!g) return done;

  // Grace windows: from each return to zero in flight, for graceMs or until the next start.
  g.fillStyle = colors.grace;
  for (let i = 1; i < events.length; i++) {
    if (log.inFlight[i] === 0 && log.inFlight[i - 1]! > 0) {
      const start = events[i]!.at;
      let end = start + graceMs;
      for (let j = i + 1; j < events.length && events[j]!.at < end; j++) {
        if (log.inFlight[j]! > 0) {
          end = events[j]!.at;
          break;
        }
      }
      g.fillRect(x(start), 0, Math.max(1, x(end) - x(start)), height);
    }
  }
  // The series as steps, at most one segment per pixel column.
  g.strokeStyle = colors.series;
  g.lineWidth = 1.5;
  g.beginPath();
  let lastX = -1;
  let lastY = y(0);
  g.moveTo(1, lastY);
  for (let i = 0; i < events.length; i++) {
    const px = Math.round(x(events[i]!.at));
    const py = y(log.inFlight[i]!);
    if (px === lastX && py <= lastY) continue;
    g.lineTo(px, lastY);
    g.lineTo(px, py);
    lastX = px;
    lastY = py;
  }
  g.lineTo(width, lastY);
  g.stroke();
  return done;
}
