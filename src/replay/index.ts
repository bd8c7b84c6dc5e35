export { createLogChecker, type LogChecker, type LogCheckerOptions } from './logChecker.js';
export {
  MAX_VIOLATIONS,
  replay,
  type EventLocation,
  type ReplayOptions,
  type ReplayResult,
  type ReplayStep,
} from './replay.js';
export {
  createReplaySession,
  type ReplaySession,
  type ReplaySessionOptions,
} from './replaySession.js';
export type { Violation, ViolationRule } from './violation.js';
