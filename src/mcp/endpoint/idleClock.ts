// @internal When a session has gone quiet: a timeout on the endpoint's scheduler that starts over
// at every request, and does not run at all while something of the agent's is open.
import type { SchedulerLike, Subscription } from 'rxjs';

/** The idle timeout of one session. */
export class IdleClock {
  #holds = 0;
  #timer: Subscription | undefined;
  #stopped = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    this.touch();
  }

  /**
   * The agent did something: the timeout starts over. While anything is held (`hold`), no
   * timeout runs until the last hold is released.
   */
  touch(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    if (this.#stopped || this.#holds > 0) return;
    this.#timer = this.scheduler.schedule(() => this.onIdle(), this.idleMs);
  }

  /**
   * Something of the agent's is open (a GET stream, a POST being answered): the session is not
   * idle until every hold is released. Call the result (idempotent) to release it.
   */
  hold(): () => void {
    this.#holds += 1;
    this.touch();
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.#holds -= 1;
      this.touch();
    };
  }

  /** The session ended: no timeout runs any more. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }
}
