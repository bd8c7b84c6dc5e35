// toolflight/testing: record a run, assert on its replay, wait for idle on virtual time.
export { advance } from './advance.js';
export { given, type EventPattern, type Outcome } from './given.js';
export { idleInReplay, type IdleVerdict, type WaitStart } from './idleInReplay.js';
export { recordingMatchers } from './matchers.js';
export { recordRun, type RecordRunContext } from './recordRun.js';
export {
  eventsOf,
  loadRecording,
  recordingOf,
  type Recording,
  type RecordingLike,
} from './recording.js';
