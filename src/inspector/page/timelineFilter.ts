// @internal What the timeline's filter bar chooses: read by the timeline, find.ts and the
// server's `/matches`.

/** What the timeline shows. */
export interface TimelineFilter {
  type: string;
  capture: string;
  tool: string;
  search: string;
  /** Fleet mode: one host's events ('' for all). */
  host: string;
  /** Entities of this outcome, `failure` for any but completed ('' for all; find.ts). */
  outcome: string;
  /** Entities lasting at least this many ms ('' for all; find.ts). */
  slower: string;
}

/** A filter with nothing chosen: every event shows. */
export const noFilter = (): TimelineFilter => ({
  type: '',
  capture: '',
  tool: '',
  search: '',
  host: '',
  outcome: '',
  slower: '',
});
