import { captureMachine } from './capture.js';
import { requestMachine } from './request.js';
import { compileMachine } from './compileMachine.js';
import { toolCallMachine } from './toolCall.js';

/** The capture machine compiled for the hot path. */
export const captureTable = compileMachine(captureMachine, ['ADMIT', 'YIELD', 'CLEAR']);

/** The request machine compiled for the hot path. */
export const requestTable = compileMachine(requestMachine, ['CLASSIFY', 'FINISH']);

/** The tool-call machine compiled for the hot path. */
export const toolCallTable = compileMachine(toolCallMachine, ['PREPARE', 'RESULT', 'FINISH']);

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
