// toolflight/inspector: a live, offline web page over a tracker or a recording.
export {
  createInspector,
  type Inspector,
  type InspectorOptions,
  type InspectorSource,
  type InspectorStats,
} from './createInspector.js';
export {
  FLEET_MAX_EVENTS,
  fleetFeed,
  type FleetFeed,
  type FleetFeedOptions,
  type FleetSource,
} from './fleetFeed.js';
export type { InspectorFeed } from './InspectorFeed.js';
export { InspectorError, type InspectorErrorCode } from './InspectorError.js';
export type { InspectorLimits } from './inspectorOptions.js';
export type { ConnectionStats } from '../http/connectionGuard.js';
export { isSecretKey, MASK, maskSecrets } from '../events/maskSecrets.js';
export {
  createStatelyOutput,
  type StatelyConnection,
  type StatelyOutput,
  type StatelyOutputOptions,
  type StatelyOutputSource,
} from './createStatelyOutput.js';
