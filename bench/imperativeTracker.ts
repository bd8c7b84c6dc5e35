/**
 * The baseline the lifecycle benchmark compares against: what hosts hand-roll today.
 * A Map of captures with counters and a waiter Set, handles with flags, no events and no log.
 */
interface Capture {
  gen: number;
  inFlight: number;
  activityVersion: number;
  waiters: Set<() => void>;
  onActivity: (() => void) | undefined;
}

interface RequestHandle {
  capture: Capture;
  classified: boolean;
  finished: boolean;
}

interface CallHandle {
  capture: Capture;
  toolName: string;
  args: Record<string, unknown>;
  prepared: boolean;
  finished: boolean;
  outcome: string | undefined;
}

export class ImperativeTracker {
  private readonly captures = new Map<string, Capture>();
  private generation = 0;

  begin(key: string, onActivity?: () => void): void {
    this.captures.set(key, {
      gen: ++this.generation,
      inFlight: 0,
      activityVersion: 0,
      waiters: new Set(),
      onActivity,
    });
  }

  private touch(capture: Capture): void {
    capture.activityVersion += 1;
    capture.onActivity?.();
    for (const wake of capture.waiters) wake();
    capture.waiters.clear();
  }

  requestStarted(key: string): RequestHandle | undefined {
    const capture = this.captures.get(key.trim());
    if (!capture) return undefined;
    capture.inFlight += 1;
    this.touch(capture);
    return { capture, classified: false, finished: false };
  }

  requestClassified(handle: RequestHandle): void {
    if (handle.classified || handle.finished) return;
    handle.classified = true;
  }

  requestFinished(handle: RequestHandle): void {
    if (handle.finished) return;
    handle.classified = true;
    handle.finished = true;
    handle.capture.inFlight -= 1;
    this.touch(handle.capture);
  }

  toolCallStarted(
    request: RequestHandle,
    toolName: string,
    args: Record<string, unknown>,
  ): CallHandle | undefined {
    const name = toolName.trim();
    if (!name || request.finished) return undefined;
    request.capture.inFlight += 1;
    this.touch(request.capture);
    return {
      capture: request.capture,
      toolName: name,
      args,
      prepared: false,
      finished: false,
      outcome: undefined,
    };
  }

  toolCallPrepared(handle: CallHandle, args: Record<string, unknown>): void {
    if (handle.finished) return;
    handle.args = args;
    handle.prepared = true;
  }

  toolCallResult(handle: CallHandle, outcome: string): void {
    if (handle.finished) return;
    handle.outcome = outcome;
  }

  toolCallFinished(handle: CallHandle): void {
    if (handle.finished) return;
    handle.finished = true;
    handle.capture.inFlight -= 1;
    this.touch(handle.capture);
  }

  inFlight(key: string): number {
    return this.captures.get(key)?.inFlight ?? 0;
  }
}
