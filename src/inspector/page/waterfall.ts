/// <reference lib="dom" />
// @internal The waterfall: every request and tool call a bar from its start to its finish (or
// to the cursor, still open), under its capture generation, on a zoomable time axis.
import { maskText } from '../../events/maskSecrets.js';
import { esc } from './dom.js';
import type { EventLog } from './eventLog.js';
import { WaterfallModel, type WaterfallFrame } from './waterfallModel.js';
import {
  duration,
  LABEL,
  paintWaterfall,
  ROW,
  RULER,
  type GroupMarks,
  type LaidOutBar,
} from './waterfallPaint.js';

export { WATERFALL_LEGEND } from './waterfallPaint.js';

/** Pointer travel under which a press is a click, not a drag. */
const CLICK_PX = 4;

/** What one render asks of the waterfall. */
export interface WaterfallInput {
  /** Events folded: the scrubber's position. */
  readonly count: number;
  /** The time at the cursor, on the events' clock. */
  readonly now: number;
  readonly graceMs: number;
  readonly selected: string | undefined;
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
  /** The scroll offset, the cursor line's x (CSS px) and the ruler's labels as last drawn. */
  private drawn = {
    scrollTop: 0,
    cursor: undefined as number | undefined,
    ticks: [] as readonly string[],
  };
  /** Each drawn group's grace windows and idle marks. */
  private marks: GroupMarks[] = [];

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
    /** The ruler's labels, left to right. */
    ticks: readonly string[];
    rows: number;
    marks: readonly GroupMarks[];
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
    const msPerPx = Math.max(1e-6, to - from) / plot;
    const painted = paintWaterfall(g, {
      frame,
      origin: this.log.t0,
      from,
      to,
      plot,
      width: cssWidth,
      height: cssHeight,
      scrollTop,
      now,
      cursorLine: this.log.length > 0,
      selected,
      marksOf: (gen) => ({
        grace: this.model.graceWindows(gen, count, now, graceMs, from, to, msPerPx),
        idle: this.model.idleMarks(gen, count, from, to),
      }),
    });
    this.laid = painted.laid;
    this.marks = painted.marks;
    this.drawn = { scrollTop, cursor: painted.cursor, ticks: painted.ticks };
    // Written last: a style write before the reads above would make each of them a layout.
    const spacer = `${Math.max(0, RULER + frame.rows * ROW - cssHeight)}px`;
    if (this.spacer.style.height !== spacer) this.spacer.style.height = spacer;
    if (this.hover) this.showTip(this.hover.x, this.hover.y);
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
