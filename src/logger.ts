/**
 * Where toolflight's servers report what they cannot hand to anyone else (a store that failed
 * to record, an upstream that misbehaved). Messages never carry a token or a secret. The
 * library never writes to the console itself: over stdio, stdout is the wire.
 *
 * @example
 * const logger: Logger = { warn: (message) => process.stderr.write(`${message}\n`) };
 */
export interface Logger {
  readonly warn: (message: string) => void;
}
