/// <reference lib="dom" />
// @internal The waterfall's painting: one frame of the model on a canvas, in the theme's
// colours (the rows' labels, the bars, grace windows, idle marks, the ruler and the cursor).
import { maskText } from '../../events/maskSecrets.js';
import { themeColor } from './theme.js';
import type { GraceWindow, IdleMark, WaterfallBar, WaterfallFrame } from './waterfallModel.js';

/** A row's height, the ruler's, and the labels' column, in CSS px. */
export const ROW = 18;
export const RULER = 20;
export const LABEL = 180;

/** A bar as last drawn, in CSS px from the canvas's top left corner (for tests and hit tests). */
export interface LaidOutBar extends WaterfallBar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly open: boolean;
}

/** The page's colours the waterfall draws in: CSS variables, which a theme changes. */
const COLOURS = ['ok', 'bad', 'warn', 'busy', 'dim', 'acc', 'line', 'fg', 'panel', 'bg'] as const;
type Palette = Record<(typeof COLOURS)[number], string>;

/** The theme's colours now (theme.ts: the scheme can change between two draws). */
const palette = (): Palette =>
  Object.fromEntries(COLOURS.map((name) => [name, themeColor(name)])) as Palette;

/** The colour of a bar: its outcome's, a request's, or a call that finished without one. */
function colourOf(bar: WaterfallBar, p: Palette): string {
  if (bar.kind === 'request') return bar.outcome === 'failed' ? p.bad : p.acc;
  switch (bar.outcome) {
    case 'completed':
      return p.ok;
    case 'failed':
      return p.bad;
    case 'timed_out':
      return p.warn;
    case 'blocked':
      return p.busy;
    case 'cancelled':
      return p.dim;
    case 'unknown':
      return p.fg;
    default:
      return p.line;
  }
}

/** The legend's entries: a swatch's CSS colour and its name. */
export const WATERFALL_LEGEND = (
  [
    ['--ok', 'completed'],
    ['--bad', 'failed'],
    ['--warn', 'timed out'],
    ['--busy', 'blocked'],
    ['--dim', 'cancelled'],
    ['--fg', 'unknown'],
    ['--acc', 'request'],
  ] as const
)
  .map(([v, name]) => `<span class="wf-key"><i style="background:var(${v})"></i>${name}</span>`)
  .join('');

/** A step of 1, 2 or 5 times a power of ten near `span / ticks`. */
function niceStep(span: number, ticks: number): number {
  const raw = Math.max(span / ticks, 1e-3);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
}

/** A duration as the ruler and the tooltip write it. */
export function duration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms * 10) / 10} ms`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** Each drawn group's grace windows and idle marks. */
export interface GroupMarks {
  readonly gen: number;
  readonly grace: GraceWindow[];
  readonly idle: IdleMark[];
}

/** What one paint needs: the model's frame, the time range and the canvas's size in CSS px. */
export interface Scene {
  readonly frame: WaterfallFrame;
  /** Where the ruler counts from: the whole log's first event, over a window of it too. */
  readonly origin: number;
  readonly from: number;
  readonly to: number;
  /** The plot's width, right of the labels. */
  readonly plot: number;
  readonly width: number;
  readonly height: number;
  readonly scrollTop: number;
  /** The time at the cursor, and whether there is a cursor line to draw (a log at all). */
  readonly now: number;
  readonly cursorLine: boolean;
  readonly selected: string | undefined;
  /** A group's grace windows and idle marks, asked for the groups in view only. */
  readonly marksOf: (gen: number) => { grace: GraceWindow[]; idle: IdleMark[] };
}

/** What a paint drew: the bars where they are, the groups' marks, the cursor line's x. */
export interface Painted {
  readonly laid: LaidOutBar[];
  readonly marks: GroupMarks[];
  readonly cursor: number | undefined;
  /** The ruler's labels, left to right. */
  readonly ticks: string[];
}

/** Paint a frame of the waterfall on `g` (already scaled to CSS px). */
export function paintWaterfall(g: CanvasRenderingContext2D, scene: Scene): Painted {
  const { frame, from, to, plot, width, height, scrollTop, now, selected } = scene;
  const p = palette();
  g.fillStyle = p.panel;
  g.fillRect(0, 0, width, height);
  const span = Math.max(1e-6, to - from);
  const x = (at: number) => LABEL + ((at - from) / span) * plot;
  const rowY = (row: number) => RULER + row * ROW - scrollTop;
  const laid: LaidOutBar[] = [];
  const marks: GroupMarks[] = [];

  g.font = '11px ui-monospace,monospace';
  g.textBaseline = 'middle';
  // Each group: its header band, its grace windows and idle marks over its rows.
  for (const group of frame.groups) {
    const top = Math.max(RULER, rowY(group.row));
    const bottom = Math.min(height, rowY(group.row + 1 + group.entities));
    if (bottom <= top) continue;
    const { grace, idle } = scene.marksOf(group.gen);
    marks.push({ gen: group.gen, grace, idle });
    g.save();
    g.beginPath();
    g.rect(LABEL, top, plot, bottom - top);
    g.clip();
    g.globalAlpha = 0.18;
    g.fillStyle = p.warn;
    for (const w of grace) {
      g.fillRect(x(w.start), top, Math.max(1, x(w.end) - x(w.start)), bottom - top);
    }
    g.globalAlpha = 1;
    g.fillStyle = p.acc;
    g.fillRect(x(group.begun), top, 1, bottom - top);
    for (const mark of idle) {
      const mx = x(mark.at);
      g.fillStyle = mark.result === 'idle' ? p.ok : p.bad;
      g.fillRect(mx - 0.5, top, 1, bottom - top);
      const my = rowY(group.row) + ROW / 2;
      g.beginPath();
      g.moveTo(mx, my - 5);
      g.lineTo(mx + 5, my);
      g.lineTo(mx, my + 5);
      g.lineTo(mx - 5, my);
      g.closePath();
      g.fill();
    }
    g.restore();
  }
  for (const [row, group] of frame.headers) {
    const y = rowY(row);
    g.fillStyle = p.bg;
    g.globalAlpha = 0.6;
    g.fillRect(0, y, LABEL, ROW);
    g.globalAlpha = 1;
    g.fillStyle = p.fg;
    g.fillText(
      fit(g, `${maskText(group.capture)} #${group.gen} (${group.entities})`, LABEL - 8),
      4,
      y + ROW / 2,
    );
  }

  const rowOf = new Map<string, number>();
  for (const bar of frame.bars) rowOf.set(bar.id, bar.row);
  for (const bar of frame.bars) {
    const y = rowY(bar.row);
    if (bar.id === selected) {
      g.fillStyle = p.acc;
      g.globalAlpha = 0.16;
      g.fillRect(0, y, width, ROW);
      g.globalAlpha = 1;
    }
    const indent = 10 + bar.depth * 14;
    g.fillStyle = bar.kind === 'request' ? p.dim : p.fg;
    g.fillText(fit(g, `${maskText(bar.label)} ${bar.id}`, LABEL - indent - 4), indent, y + 9);
    const open = bar.end === undefined;
    const x0 = x(bar.start);
    const x1 = x(bar.end ?? Math.max(bar.start, now));
    const left = Math.max(LABEL, x0);
    const right = Math.min(LABEL + plot, Math.max(x1, x0 + 1));
    const barWidth = Math.max(1, right - left);
    if (right >= LABEL && left <= LABEL + plot) {
      if (open) openBar(g, left, y + 3, barWidth, ROW - 6, p.busy);
      else {
        g.fillStyle = colourOf(bar, p);
        g.fillRect(left, y + 3, barWidth, ROW - 6);
      }
    }
    // A tool call hangs from its request: a connector from the request's row.
    const parentRow = bar.parent === undefined ? undefined : rowOf.get(bar.parent);
    if (parentRow !== undefined && x0 >= LABEL && x0 <= LABEL + plot) {
      g.fillStyle = p.dim;
      g.fillRect(Math.round(x0) - 0.5, rowY(parentRow) + ROW - 3, 1, y - rowY(parentRow));
    }
    laid.push({ ...bar, x: left, y: y + 3, width: barWidth, height: ROW - 6, open });
  }

  const ticks = ruler(g, scene.origin, from, to, plot, width, p);
  // The cursor line, over the ruler and every row.
  const cx = Math.round(x(now));
  const cursor = scene.cursorLine && cx >= LABEL && cx <= LABEL + plot ? cx : undefined;
  if (cursor !== undefined) {
    g.fillStyle = p.acc;
    g.fillRect(cursor - 1, 0, 2, height);
  }
  return { laid, marks, cursor, ticks };
}

/** An open bar: outlined and hatched up to the cursor. */
function openBar(
  g: CanvasRenderingContext2D,
  x: number,
  y: number,
  w: number,
  h: number,
  colour: string,
): void {
  g.save();
  g.beginPath();
  g.rect(x, y, w, h);
  g.clip();
  g.strokeStyle = colour;
  g.globalAlpha = 0.55;
  g.lineWidth = 1;
  g.beginPath();
  for (let hx = x - h - ((x - h) % 6); hx < x + w; hx += 6) {
    g.moveTo(hx, y + h);
    g.lineTo(hx + h, y);
  }
  g.stroke();
  g.globalAlpha = 1;
  g.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), h - 1);
  g.restore();
}

/** The time ruler along the top, counted from the log's first event (`t0`); its labels. */
function ruler(
  g: CanvasRenderingContext2D,
  t0: number,
  from: number,
  to: number,
  plot: number,
  width: number,
  p: Palette,
): string[] {
  const labels: string[] = [];
  g.fillStyle = p.panel;
  g.fillRect(0, 0, width, RULER);
  g.fillStyle = p.line;
  g.fillRect(0, RULER - 1, width, 1);
  const step = niceStep(to - from, Math.max(2, plot / 110));
  g.fillStyle = p.dim;
  g.textBaseline = 'middle';
  g.fillText('time from first event', 4, RULER / 2);
  for (let t = Math.ceil((from - t0) / step) * step + t0; t <= to; t += step) {
    const tx = LABEL + ((t - from) / (to - from)) * plot;
    g.fillStyle = p.line;
    g.fillRect(Math.round(tx), RULER - 6, 1, 6);
    g.fillStyle = p.dim;
    const label = duration(t - t0);
    g.fillText(label, Math.round(tx) + 3, RULER / 2 - 1);
    labels.push(label);
  }
  return labels;
}

/** `text` cut to `width` px with an ellipsis. */
function fit(g: CanvasRenderingContext2D, text: string, width: number): string {
  if (g.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && g.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}
