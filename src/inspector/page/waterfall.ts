/// <reference lib="dom" />
// @internal The waterfall: every request and tool call a bar from its start to its finish (or
// to the cursor, still open), under its capture generation, on a zoomable time axis.
import { maskText } from '../../events/maskSecrets.js';
import { esc } from './dom.js';
import { themeColor } from './theme.js';
import type { EventLog } from './eventLog.js';
import {
  WaterfallModel,
  type GraceWindow,
  type IdleMark,
  type WaterfallBar,
  type WaterfallFrame,
} from './waterfallModel.js';

const ROW = 18;
const RULER = 20;
const LABEL = 180;
/** Pointer travel under which a press is a click, not a drag. */
const CLICK_PX = 4;

/** A bar as last drawn, in CSS px from the canvas's top left corner (for tests and hit tests). */
export interface LaidOutBar extends WaterfallBar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly open: boolean;
}

/** What one render asks of the waterfall. */
export interface WaterfallInput {
  /** Events folded: the scrubber's position. */
  readonly count: number;
  /** The time at the cursor, on the events' clock. */
  readonly now: number;
  readonly graceMs: number;
  readonly selected: string | undefined;
}

/** The page's colours, read from its CSS variables (a theme changes them). */
type Palette = Record<
  'ok' | 'bad' | 'warn' | 'busy' | 'dim' | 'acc' | 'line' | 'fg' | 'panel' | 'bg',
  string
>;

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

function duration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms * 10) / 10} ms`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The waterfall's canvas, its scroller, tooltip and input handling. */
export class Waterfall {
  private readonly model: WaterfallModel;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly tip: HTMLElement;
  /** The zoomed time range; undefined: the whole log. */
  private zoom: { from: number; to: number } | undefined;
  private input: WaterfallInput = { count: 0, now: 0, graceMs: 0, selected: undefined };
  private laid: LaidOutBar[] = [];
  private range = { from: 0, to: 1 };
  private frameData: WaterfallFrame | undefined;
  private press: { x: number; from: number; to: number; moved: boolean } | undefined;
  private hover: { x: number; y: number } | undefined;
  private first: unknown;
  /** The scroll offset and the cursor line's x (CSS px) as last drawn. */
  private drawn = { scrollTop: 0, cursor: undefined as number | undefined };
  /** Each drawn group's grace windows and idle marks. */
  private marks: { gen: number; grace: GraceWindow[]; idle: IdleMark[] }[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly canvas: HTMLCanvasElement,
    private readonly onSelect: (id: string) => void,
  ) {
    this.model = new WaterfallModel(log);
    this.scroller = canvas.parentElement!;
    this.spacer = document.createElement('div');
    this.scroller.append(this.spacer);
    this.tip = document.createElement('div');
    this.tip.className = 'wf-tip';
    this.tip.hidden = true;
    this.scroller.parentElement!.append(this.tip);
    this.scroller.addEventListener('scroll', () => this.draw());
    canvas.addEventListener('wheel', (event) => this.wheel(event), { passive: false });
    canvas.addEventListener('pointerdown', (event) => this.down(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.up(event));
    canvas.addEventListener('pointerleave', () => {
      this.hover = undefined;
      this.tip.hidden = true;
    });
    canvas.addEventListener('dblclick', () => {
      this.zoom = undefined;
      this.draw();
    });
  }

  /** Draw the waterfall as of the cursor. */
  render(input: WaterfallInput): void {
    const reveal = input.selected !== undefined && input.selected !== this.input.selected;
    this.input = input;
    if (this.log.events[0] !== this.first) {
      // Another log (a recording replaced the stream): its time axis is another one.
      this.first = this.log.events[0];
      this.zoom = undefined;
    }
    this.draw();
    if (reveal) this.reveal(input.selected);
  }

  /**
   * Scroll the rows so that the entity's is in view, when it was selected elsewhere (the
   * timeline, a failure jump); a row already in view stays where it is.
   */
  private reveal(id: string): void {
    const row = this.model.rowOf(id, this.input.count);
    if (row === undefined) return;
    const height = this.canvas.clientHeight - RULER;
    const top = row * ROW;
    const scrollTop = this.scroller.scrollTop;
    if (top >= scrollTop && top + ROW <= scrollTop + height) return;
    this.scroller.scrollTop = Math.max(0, top - Math.floor(height / 2));
  }

  /** For tests: the bars as last laid out, and the time range shown. */
  get state(): {
    bars: readonly LaidOutBar[];
    range: { from: number; to: number };
    plot: { left: number; top: number; width: number };
    scrollTop: number;
    cursor: number | undefined;
    rows: number;
    marks: readonly { gen: number; grace: GraceWindow[]; idle: IdleMark[] }[];
  } {
    return {
      bars: this.laid,
      range: { ...this.range },
      plot: { left: LABEL, top: RULER, width: this.plotWidth() },
      ...this.drawn,
      rows: this.frameData?.rows ?? 0,
      marks: this.marks,
    };
  }

  /** The plot's width as last drawn (reading the canvas's width again would force a layout). */
  private plot = 1;

  private plotWidth(): number {
    return this.plot;
  }

  /** The theme's colours now (theme.ts: the scheme can change between two draws). */
  private palette(): Palette {
    const names = ['ok', 'bad', 'warn', 'busy', 'dim', 'acc', 'line', 'fg', 'panel', 'bg'] as const;
    return Object.fromEntries(names.map((name) => [name, themeColor(name)])) as Palette;
  }

  private draw(): void {
    const { count, now, graceMs, selected } = this.input;
    const canvas = this.canvas;
    const cssWidth = canvas.clientWidth || 600;
    const cssHeight = canvas.clientHeight || 150;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(cssWidth * ratio);
    const height = Math.round(cssHeight * ratio);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    const p = this.palette();
    g.fillStyle = p.panel;
    g.fillRect(0, 0, cssWidth, cssHeight);

    const scrollTop = this.scroller.scrollTop;
    const firstRow = Math.floor(scrollTop / ROW);
    const lastRow = Math.ceil((scrollTop + cssHeight - RULER) / ROW) + 1;
    const frame = (this.frameData = this.model.frame(count, now, firstRow, lastRow));
    const pad = (frame.t1 - frame.t0) * 0.01;
    const { from, to } = (this.range = this.zoom ?? {
      from: frame.t0 - pad,
      to: frame.t1 + pad,
    });
    const plot = (this.plot = Math.max(1, cssWidth - LABEL - 8));
    const span = Math.max(1e-6, to - from);
    const x = (at: number) => LABEL + ((at - from) / span) * plot;
    const rowY = (row: number) => RULER + row * ROW - scrollTop;
    const msPerPx = span / plot;
    const laid: LaidOutBar[] = [];

    g.font = '11px ui-monospace,monospace';
    g.textBaseline = 'middle';
    // Each group: its header band, its grace windows and idle marks over its rows.
    this.marks = [];
    for (const group of frame.groups) {
      const top = Math.max(RULER, rowY(group.row));
      const bottom = Math.min(cssHeight, rowY(group.row + 1 + group.entities));
      if (bottom <= top) continue;
      const grace = this.model.graceWindows(group.gen, count, now, graceMs, from, to, msPerPx);
      const idle = this.model.idleMarks(group.gen, count, from, to);
      this.marks.push({ gen: group.gen, grace, idle });
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
        this.fit(g, `${maskText(group.capture)} #${group.gen} (${group.entities})`, LABEL - 8),
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
        g.fillRect(0, y, cssWidth, ROW);
        g.globalAlpha = 1;
      }
      const indent = 10 + bar.depth * 14;
      g.fillStyle = bar.kind === 'request' ? p.dim : p.fg;
      g.fillText(
        this.fit(g, `${maskText(bar.label)} ${bar.id}`, LABEL - indent - 4),
        indent,
        y + 9,
      );
      const open = bar.end === undefined;
      const x0 = x(bar.start);
      const x1 = x(bar.end ?? Math.max(bar.start, now));
      const left = Math.max(LABEL, x0);
      const right = Math.min(LABEL + plot, Math.max(x1, x0 + 1));
      const barWidth = Math.max(1, right - left);
      const colour = colourOf(bar, p);
      if (right >= LABEL && left <= LABEL + plot) {
        if (open) this.openBar(g, left, y + 3, barWidth, ROW - 6, p.busy);
        else {
          g.fillStyle = colour;
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
    this.laid = laid;

    this.ruler(g, from, to, plot, cssWidth, p);
    // The cursor line, over the ruler and every row.
    this.drawn = { scrollTop, cursor: undefined };
    const cx = Math.round(x(now));
    if (this.log.length > 0 && cx >= LABEL && cx <= LABEL + plot) {
      g.fillStyle = p.acc;
      g.fillRect(cx - 1, 0, 2, cssHeight);
      this.drawn.cursor = cx;
    }
    // Written last: a style write before the reads above would make each of them a layout.
    const spacer = `${Math.max(0, RULER + frame.rows * ROW - cssHeight)}px`;
    if (this.spacer.style.height !== spacer) this.spacer.style.height = spacer;
    if (this.hover) this.showTip(this.hover.x, this.hover.y);
  }

  /** An open bar: outlined and hatched up to the cursor. */
  private openBar(
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

  private ruler(
    g: CanvasRenderingContext2D,
    from: number,
    to: number,
    plot: number,
    cssWidth: number,
    p: Palette,
  ): void {
    const t0 = this.frameData?.t0 ?? 0;
    g.fillStyle = p.panel;
    g.fillRect(0, 0, cssWidth, RULER);
    g.fillStyle = p.line;
    g.fillRect(0, RULER - 1, cssWidth, 1);
    const step = niceStep(to - from, Math.max(2, plot / 110));
    g.fillStyle = p.dim;
    g.textBaseline = 'middle';
    g.fillText('time from first event', 4, RULER / 2);
    for (let t = Math.ceil((from - t0) / step) * step + t0; t <= to; t += step) {
      const tx = LABEL + ((t - from) / (to - from)) * plot;
      g.fillStyle = p.line;
      g.fillRect(Math.round(tx), RULER - 6, 1, 6);
      g.fillStyle = p.dim;
      g.fillText(duration(t - t0), Math.round(tx) + 3, RULER / 2 - 1);
    }
  }

  /** `text` cut to `width` px with an ellipsis. */
  private fit(g: CanvasRenderingContext2D, text: string, width: number): string {
    if (g.measureText(text).width <= width) return text;
    let cut = text;
    while (cut.length > 1 && g.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
    return `${cut}…`;
  }

  private point(event: MouseEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  private barAt(x: number, y: number): LaidOutBar | undefined {
    // A thin bar is hard to hit: its whole row counts, within a few px of it.
    return this.laid.find(
      (bar) =>
        y >= bar.y - 3 &&
        y < bar.y + bar.height + 3 &&
        x >= bar.x - 3 &&
        x <= bar.x + bar.width + 3,
    );
  }

  private wheel(event: WheelEvent): void {
    const { x } = this.point(event);
    if (x < LABEL) return; // over the labels: the rows scroll
    event.preventDefault();
    const { from, to } = this.range;
    const plot = this.plotWidth();
    const span = to - from;
    if (Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      const shift = (event.deltaX / plot) * span;
      this.zoom = { from: from + shift, to: to + shift };
    } else {
      const at = from + ((x - LABEL) / plot) * span;
      const factor = Math.exp(Math.max(-5, Math.min(5, event.deltaY * 0.002)));
      const next = Math.max(0.01, span * factor);
      const left = (at - from) / span;
      this.zoom = { from: at - left * next, to: at + (1 - left) * next };
    }
    this.draw();
  }

  private down(event: PointerEvent): void {
    if (event.button !== 0) return;
    const { x } = this.point(event);
    this.press = { x, ...this.range, moved: false };
    this.canvas.setPointerCapture?.(event.pointerId);
  }

  private move(event: PointerEvent): void {
    const point = this.point(event);
    const press = this.press;
    if (press) {
      const dx = point.x - press.x;
      if (Math.abs(dx) >= CLICK_PX) press.moved = true;
      if (press.moved) {
        const shift = (-dx / this.plotWidth()) * (press.to - press.from);
        this.zoom = { from: press.from + shift, to: press.to + shift };
        this.draw();
      }
    }
    this.hover = point;
    this.showTip(point.x, point.y);
  }

  private up(event: PointerEvent): void {
    const press = this.press;
    this.press = undefined;
    if (!press || press.moved) return;
    const { x, y } = this.point(event);
    const bar = this.barAt(x, y);
    if (bar) this.onSelect(bar.id);
  }

  private showTip(x: number, y: number): void {
    const bar = this.press?.moved ? undefined : this.barAt(x, y);
    if (!bar) {
      this.tip.hidden = true;
      return;
    }
    const end = bar.end ?? Math.max(bar.start, this.input.now);
    const rows: [string, string][] = [
      [bar.kind === 'request' ? 'request' : 'tool call', bar.id],
      [bar.kind === 'request' ? 'method' : 'tool', bar.label],
      ['capture', `${bar.capture} #${bar.gen}`],
      ...(bar.parent === undefined ? [] : [['request', bar.parent] as [string, string]]),
      ['state', bar.state],
      ['outcome', bar.outcome ?? (bar.end === undefined ? 'in flight' : '-')],
      ['duration', `${duration(end - bar.start)}${bar.end === undefined ? ' so far' : ''}`],
    ];
    this.tip.innerHTML = rows
      .map(([k, v]) => `<div><b>${esc(k)}</b> <span>${esc(maskText(v))}</span></div>`)
      .join('');
    this.tip.dataset.id = bar.id;
    this.tip.hidden = false;
    const box = this.canvas.getBoundingClientRect();
    const host = this.tip.parentElement!.getBoundingClientRect();
    const left = Math.min(box.left - host.left + x + 14, host.width - 260);
    this.tip.style.left = `${Math.max(0, left)}px`;
    const below = box.top - host.top + y + 14;
    const above = below - 28 - this.tip.offsetHeight;
    this.tip.style.top = `${below + this.tip.offsetHeight > host.height && above >= 0 ? above : below}px`;
  }
}
