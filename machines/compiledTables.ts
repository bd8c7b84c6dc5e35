// The machines compiled for the hot path, from the tables `npm run tables` generated (the same
// as `compileMachine` makes from the machines, which a test checks): loading them runs no XState.
import { CAPTURE_TABLE, REQUEST_TABLE, TOOL_CALL_TABLE } from './compiled.generated.js';
import { tableOf } from './transitionTable.js';

/** The capture machine compiled for the hot path. */
export const captureTable = tableOf(CAPTURE_TABLE);

/** The request machine compiled for the hot path. */
export const requestTable = tableOf(REQUEST_TABLE);

/** The tool-call machine compiled for the hot path. */
export const toolCallTable = tableOf(TOOL_CALL_TABLE);

/** Event indexes for `captureTable.step`. */
export const CaptureEvent = {
  ADMIT: captureTable.eventIndex('ADMIT'),
  YIELD: captureTable.eventIndex('YIELD'),
  CLEAR: captureTable.eventIndex('CLEAR'),
} as const;

/** Event indexes for `requestTable.step`. */
export const RequestEvent = {
  CLASSIFY: requestTable.eventIndex('CLASSIFY'),
  FINISH: requestTable.eventIndex('FINISH'),
} as const;

/** Event indexes for `toolCallTable.step`. */
export const ToolCallEvent = {
  PREPARE: toolCallTable.eventIndex('PREPARE'),
  RESULT: toolCallTable.eventIndex('RESULT'),
  FINISH: toolCallTable.eventIndex('FINISH'),
} as const;
