import { ToolflightError } from '../errors.js';

/** Why toolflight could not use a NATS server or stream. */
export type NatsErrorCode =
  /** The servers could not be reached (or refused the credentials). */
  | 'nats_unreachable'
  /** The server runs without JetStream (start it with `nats-server -js`). */
  | 'jetstream_unavailable'
  /** The stream does not exist, and creating it was not allowed. */
  | 'stream_missing'
  /** The stream exists but does not take the subjects toolflight publishes. */
  | 'subject_outside_stream'
  /**
   * JetStream did not store a shipped message (it refused it, or the answer never came); the
   * events stay in the spool and are sent again.
   */
  | 'message_refused'
  /** An option is not valid. */
  | 'invalid_argument';

/** An error about NATS or JetStream, with a message that says what to do. */
export class NatsError extends ToolflightError<NatsErrorCode> {
  override readonly name = 'NatsError';
}
