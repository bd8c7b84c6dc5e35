// @internal Host callbacks never hurt the host: a throw or a rejection becomes an
// `observer.failed` event and a report on the error channel, and the command goes on.
import type { Subject } from 'rxjs';

import { messageOf } from '../errors.js';
import type { ObserverFailed } from '../events/types.js';
import type { ObserverFailure } from './observers.js';
import type { LooseScope, TrackerLog } from './trackerLog.js';

/** Runs host callbacks for a tracker and reports their failures. */
export class ObserverIsolation {
  constructor(
    private readonly log: TrackerLog,
    private readonly errors: Subject<ObserverFailure>,
    private readonly onObserverError: ((failure: ObserverFailure) => void) | undefined,
  ) {}

  /** Report a failure on the error channel only (no event): `onObserverError` and `errors$`. */
  report(hook: string, error: unknown, scope: LooseScope): void {
    const failure: ObserverFailure = {
      hook,
      error,
      capture: scope.capture,
      gen: scope.gen,
      id: scope.id,
    };
    try {
      this.onObserverError?.(failure);
    } catch {
      // The error channel itself must not reach the host's path either.
    }
    this.errors.next(failure);
  }

  /** Record a failure as an `observer.failed` event, then report it. */
  failed(hook: string, error: unknown, scope: LooseScope): void {
    const event = this.log.stampLoose('observer.failed', scope, {
      hook,
      message: messageOf(error),
    }) as unknown as ObserverFailed;
    this.log.append(event);
    this.log.publish(event);
    this.report(hook, error, scope);
  }

  /** Run one host callback; a throw or a rejected promise becomes an `observer.failed`. */
  guard<T>(hook: string, scope: LooseScope, run: () => T): T | undefined {
    try {
      const returned = run();
      if (returned instanceof Promise) {
        return returned.catch((error: unknown) => this.failed(hook, error, scope)) as T;
      }
      return returned;
    } catch (error) {
      this.failed(hook, error, scope);
      return undefined;
    }
  }
}
