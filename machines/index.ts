export { captureMachine, type CaptureMachineEvent } from './capture.js';
export { requestMachine, type RequestMachineEvent } from './request.js';
export {
  toolCallMachine,
  type ToolCallMachineContext,
  type ToolCallMachineEvent,
} from './toolCall.js';
export { toMermaid } from './mermaid.js';
export { compileMachine, type TableState, type TransitionTable } from './compileMachine.js';
export {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from './compiledTables.js';
