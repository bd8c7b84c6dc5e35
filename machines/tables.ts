import { captureMachine } from './capture.js';
import { requestMachine } from './request.js';
import { compileMachine } from './table.js';
import { toolCallMachine } from './toolCall.js';

/** The capture machine compiled for the hot path. */
export const captureTable = compileMachine(captureMachine, ['ADMIT', 'YIELD', 'CLEAR']);

/** The request machine compiled for the hot path. */
export const requestTable = compileMachine(requestMachine, ['CLASSIFY', 'FINISH']);

/** The tool-call machine compiled for the hot path. */
export const toolCallTable = compileMachine(toolCallMachine, ['PREPARE', 'RESULT', 'FINISH']);
