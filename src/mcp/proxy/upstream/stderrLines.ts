// @internal A child's stderr as lines, bounded: every stderr line of the child becomes a notice,
// so an event in the log. A line is cut at `MAX_STDERR_LINE` characters (the rest of it, up to
// its newline, is dropped unread, so a line without a newline holds no more memory than that),
// and at most `STDERR_BUDGET` lines pass per `STDERR_WINDOW_MS` on the injected scheduler; the
// others are counted and reported in one line when the window closes or stderr ends.
import type { SchedulerLike, Subscription } from 'rxjs';

/** The longest stderr line passed on, in characters; a longer one is cut with a marker. */
export const MAX_STDERR_LINE = 4096;
/** How many stderr lines pass per window; the rest are counted. */
export const STDERR_BUDGET = 100;
/** The window of the budget, from the first line that passed. */
export const STDERR_WINDOW_MS = 1000;

/** Where the lines go. */
export interface StderrSinks {
  /** Every line, cut to `MAX_STDERR_LINE` (for the exit report's tail). */
  readonly line: (line: string) => void;
  /** The lines within the budget, and the count of those that were not. */
  readonly notice: (line: string) => void;
}

/** Split stderr text into bounded lines, and pass a budget of them on. */
export class StderrLines {
  #partial = '';
  /** The line being read was cut: drop the rest of it, up to its newline. */
  #cutting = false;
  #passed = 0;
  #dropped = 0;
  #window: Subscription | undefined;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly sinks: StderrSinks,
  ) {}

  /** Take the next chunk of stderr text. */
  feed(text: string): void {
    for (let at = 0; at < text.length;) {
      const newline = text.indexOf('\n', at);
      const end = newline < 0 ? text.length : newline;
      if (!this.#cutting) {
        const room = MAX_STDERR_LINE - this.#partial.length;
        if (end - at > room) {
          this.#emit(
            `${this.#partial}${text.slice(at, at + room)} … [cut at ${MAX_STDERR_LINE} characters]`,
          );
          this.#partial = '';
          this.#cutting = true;
        } else this.#partial += text.slice(at, end);
      }
      if (newline < 0) return;
      if (this.#cutting) this.#cutting = false;
      else {
        this.#emit(this.#partial);
        this.#partial = '';
      }
      at = newline + 1;
    }
  }

  /** Stderr ended: pass the last line (if it had no newline) and what was dropped. */
  end(): void {
    if (!this.#cutting && this.#partial !== '') this.#emit(this.#partial);
    this.#partial = '';
    this.#cutting = false;
    this.#window?.unsubscribe();
    this.#window = undefined;
    this.#report();
  }

  #emit(text: string): void {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    this.sinks.line(line);
    if (this.#passed >= STDERR_BUDGET) {
      this.#dropped += 1;
      return;
    }
    this.#passed += 1;
    this.#window ??= this.scheduler.schedule(() => {
      this.#window = undefined;
      this.#passed = 0;
      this.#report();
    }, STDERR_WINDOW_MS);
    this.sinks.notice(line);
  }

  #report(): void {
    const dropped = this.#dropped;
    if (dropped === 0) return;
    this.#dropped = 0;
    this.sinks.notice(`… ${dropped} stderr line${dropped === 1 ? '' : 's'} dropped`);
  }
}
