// toolflight/nats: a host's log shipped to NATS JetStream, and a stream read as a recording.
// Needs the optional peers @nats-io/transport-node and @nats-io/jetstream (loaded on first use).
export { NatsError, type NatsErrorCode } from './NatsError.js';
export {
  DEFAULT_PREFIX,
  DEFAULT_STREAM,
  STREAM_DEFAULTS,
  type FleetStreamLimits,
  type FleetStreamOptions,
  type NatsServerOptions,
} from './openJetStream.js';
export {
  decodeToken,
  encodeToken,
  eventSubject,
  filterSubject,
  type ShippedSubject,
  type SubjectFilter,
} from './subjects.js';
