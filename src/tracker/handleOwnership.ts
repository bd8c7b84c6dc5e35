// @internal Which handles a tracker accepts: its own, of the right kind. Anything else is a
// programming error with a typed error saying what to pass instead.
import { ToolflightError } from '../errors.js';
import type { CapturesState } from '../projections/captureRecords.js';
import { RequestSlot, ToolCallSlot } from './slots.js';

/** Handle checks and lookups for the tracker that `owner` stands for. */
export class HandleOwnership {
  constructor(
    readonly owner: object,
    private readonly state: CapturesState,
  ) {}

  /** The slot behind a handle; undefined for undefined or null; throws for anything foreign. */
  own<S extends RequestSlot | ToolCallSlot>(handle: unknown, kind: S['kind']): S | undefined {
    // The common case first: one of ours, of the right kind.
    const slot = handle as S | undefined;
    if (slot?.owner === this.owner && slot.kind === kind) return slot;
    if (handle === undefined || handle === null) return undefined;
    const what = kind === 'request' ? 'RequestHandle' : 'ToolCallHandle';
    if (!(handle instanceof (kind === 'request' ? RequestSlot : ToolCallSlot))) {
      throw new ToolflightError('invalid_argument', `expected a ${what} returned by this tracker`);
    }
    throw new ToolflightError(
      'foreign_handle',
      `this ${what} was admitted by another tracker: pass each handle back to the tracker that returned it`,
    );
  }

  /** A live request by id: a scan of the live lists, for tests and rare host use. */
  liveRequest(id: string): RequestSlot | undefined {
    for (const generation of this.state.byGen.values()) {
      for (const record of generation.requests) if (record.id === id) return record as RequestSlot;
    }
    return undefined;
  }

  /** A live tool call by id, as `liveRequest`. */
  liveToolCall(id: string): ToolCallSlot | undefined {
    for (const generation of this.state.byGen.values()) {
      for (const record of generation.toolCalls)
        if (record.id === id) return record as ToolCallSlot;
    }
    return undefined;
  }
}
