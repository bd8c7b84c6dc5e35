/** The rules a log can break. */
export type ViolationRule =
  | 'seq-start'
  | 'seq-order'
  | 'seq-gap'
  | 'gen-reused'
  | 'unknown-capture'
  | 'capture-cleared'
  | 'not-current'
  | 'id-reused'
  | 'not-started'
  | 'already-finished'
  | 'wrong-generation'
  | 'wrong-kind'
  | 'request-finished'
  | 'machine'
  /** A `log.gap`: events the store could not keep are missing; the log is incomplete. */
  | 'log-gap';

/** One place where a log breaks a machine or the log's own rules. */
export interface Violation {
  readonly seq: number;
  readonly rule: ViolationRule;
  /** The entity (`rq_…`, `tc_…`) or `capture gen`, when the event names one. */
  readonly entity?: string;
  /** A sentence naming the seq, the entity and the rule. */
  readonly message: string;
  /** The file the event was read from, when the replay was told (`ReplayOptions.locate`). */
  readonly source?: string;
  /** Its line (JSONL) or row seq (SQLite), when the replay was told. */
  readonly line?: number;
}
