// @internal A message the proxy cannot put on the wire. What an agent sends was parsed by
// `JSON.parse`, which takes any depth; `JSON.stringify` (and the SDK's `serializeMessage`)
// recurses and overflows the stack on arguments nested a few thousand levels deep. That is a
// fault of that one request, not of the connection: both transports report it as this error, so
// that the session fails the request alone and keeps everything else it carries.

import { messageOf } from '../../../errors.js';

/** A message that could not be serialized: it was never sent, and the connection is fine. */
export class UnsendableMessage extends Error {
  override readonly name = 'UnsendableMessage';
}

/** `serialize(message)`, or an `UnsendableMessage` (thrown) that says why it cannot be sent. */
export function serializeOrRefuse<M, T>(message: M, serialize: (message: M) => T): T {
  try {
    return serialize(message);
  } catch (error) {
    const why = error instanceof RangeError ? 'it is nested too deep' : messageOf(error);
    throw new UnsendableMessage(`the request could not be serialized for the upstream: ${why}`, {
      cause: error,
    });
  }
}
