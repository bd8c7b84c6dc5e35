/** Something wrong in a recording that a reader skipped, with where it was. */
export interface RecordingProblem {
  /** The file. */
  readonly source: string;
  /** The 1-based line (JSONL) or row seq (SQLite). */
  readonly line: number;
  /** `truncated` for an unfinished last line; otherwise the decode error's code. */
  readonly code: string;
  /** A sentence that names the file and line. */
  readonly message: string;
}

/** Options every recording reader takes. */
export interface ReadOptions {
  /** Skip events before this seq. */
  readonly fromSeq?: number;
  /**
   * Called for each line that is not a valid event; the reader skips it and goes on. Without it,
   * the first problem throws its `DecodeError`.
   */
  readonly onProblem?: (problem: RecordingProblem) => void;
  /** Called as the file is consumed, with the fraction read so far (0 to 1). */
  readonly onProgress?: (fraction: number) => void;
  /**
   * JSONL only: called with the 1-based line of each event just before it is yielded, so that
   * whoever checks the event can say where it is (`replay`'s `locate`).
   */
  readonly onLine?: (line: number) => void;
}
