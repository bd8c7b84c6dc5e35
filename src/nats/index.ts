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
export {
  shipToJetStream,
  type Shipper,
  type ShipperOptions,
  type ShipperStats,
} from './shipper.js';
export {
  fleetSources,
  readFleet,
  readJetStream,
  type FleetSource,
  type ReadJetStreamOptions,
  type ShippedEvent,
} from './readJetStream.js';
