// @internal The commands of the tool-call machine: started, prepared, result, finished.
import {
  CaptureEvent,
  captureTable,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from '../../machines/compiledTables.js';
import { ToolflightError } from '../errors.js';
import { TOOL_CALL_OUTCOMES, type ToolCallResult } from '../events/types.js';
import { checkArgs, normalizeName } from '../events/validate.js';
import type { GenerationRecord } from '../projections/captureRecords.js';
import {
  finishToolCall,
  prepareToolCall,
  recordToolCallResult,
  startToolCall,
} from '../projections/captureTransitions.js';
import type { CaptureObservers, ToolCallSpec } from './observers.js';
import { ToolCallSlot, type RequestSlot } from './slots.js';
import {
  currentGeneration,
  liveSlot,
  machineRefuses,
  generationScope,
  refuse,
  type TrackerContext,
} from './trackerContext.js';
import type { Tracker } from './Tracker.js';

const FINISHED_PREPARED = Object.freeze({ prepared: true });
const FINISHED_UNPREPARED = Object.freeze({ prepared: false });

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The tool-call commands over one tracker's context. */
export function toolCallCommands(
  context: TrackerContext,
): Pick<Tracker, 'toolCallStarted' | 'toolCallPrepared' | 'toolCallResult' | 'toolCallFinished'> {
  const { state, log, handles, isolation, observersByKey, ids } = context;
  const owner = handles.owner;

  /** The machine's verdict on `event` for the slot: the next state, or -1 after the refusal. */
  const step = (slot: ToolCallSlot, event: number, command: string): number => {
    const next = toolCallTable.step(slot.stateIndex, event);
    if (next >= 0) return next;
    const why = machineRefuses(toolCallTable, slot.stateIndex, event, slot.id);
    return refuse(context, -1, command, 'machine', slot, why);
  };

  return {
    toolCallStarted(start) {
      const toolName = normalizeName(start.toolName, 'toolName');
      const args = checkArgs(start.args);
      const request = handles.own<RequestSlot>(start.request, 'request');
      let generation: GenerationRecord | undefined;
      let observers: CaptureObservers | undefined;
      if (request) {
        if (requestTable.states[request.stateIndex]!.final) {
          return refuse(context, undefined, 'toolCallStarted', 'request_finished', request);
        }
        generation = request.generation;
        observers = request.observers;
      } else {
        generation = currentGeneration(context, start.capture, 'toolCallStarted');
        observers = generation && observersByKey.get(generation.key);
      }
      if (!generation) return undefined;
      if (toolName === undefined) {
        return refuse(
          context,
          undefined,
          'toolCallStarted',
          'blank_tool_name',
          generationScope(generation),
        );
      }
      if (captureTable.step(generation.state, CaptureEvent.ADMIT) < 0) {
        return refuse(
          context,
          undefined,
          'toolCallStarted',
          'capture_cleared',
          generationScope(generation),
        );
      }
      const data = request ? { request: request.id, toolName, args } : { toolName, args };
      const event = log.stamp('toolCall.started', generation, ids('tc'), data);
      log.append(event);
      const slot = new ToolCallSlot(owner, generation, observers, event);
      startToolCall(state, generation, slot);
      log.publish(event);
      const hook = observers?.onToolCallStart;
      if (hook) {
        const correlation = isolation.guard('onToolCallStart', slot, () =>
          hook.call(observers, slot),
        );
        if (typeof correlation === 'string') slot.correlationId = correlation;
      }
      return slot;
    },

    toolCallPrepared(handle, spec) {
      const slot = liveSlot<ToolCallSlot>(context, handle, 'toolCall', 'toolCallPrepared');
      if (!slot || step(slot, ToolCallEvent.PREPARE, 'toolCallPrepared') < 0) return false;
      const args = checkArgs(spec.args);
      const toolName = normalizeName(spec.toolName, 'toolName') ?? slot.toolName;
      const previous: ToolCallSpec = { toolName: slot.toolName, args: slot.args };
      const event = log.stamp('toolCall.prepared', slot.generation, slot.id, { toolName, args });
      log.append(event);
      prepareToolCall(event, slot);
      log.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallPrepared;
      if (hook) {
        const change = { previous, current: { toolName, args } };
        isolation.guard('onToolCallPrepared', slot, () => hook.call(observers, slot, change));
      }
      return true;
    },

    toolCallResult(handle, report) {
      const slot = liveSlot<ToolCallSlot>(context, handle, 'toolCall', 'toolCallResult');
      if (!slot) return false;
      if (!TOOL_CALL_OUTCOMES.includes(report.outcome)) {
        throw new ToolflightError(
          'invalid_argument',
          `outcome must be one of ${TOOL_CALL_OUTCOMES.join(', ')}, got ${JSON.stringify(report.outcome)}`,
        );
      }
      if (step(slot, ToolCallEvent.RESULT, 'toolCallResult') < 0) return false;
      const data: Mutable<ToolCallResult['data']> = {
        outcome: report.outcome,
        isError: report.isError === true,
      };
      if (report.result !== undefined) data.result = report.result;
      if (report.reason !== undefined) data.reason = String(report.reason);
      const event = log.stamp('toolCall.result', slot.generation, slot.id, data);
      log.append(event);
      recordToolCallResult(event, slot);
      log.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallResult;
      if (hook) isolation.guard('onToolCallResult', slot, () => hook.call(observers, slot, data));
      return true;
    },

    toolCallFinished(handle) {
      const slot = liveSlot<ToolCallSlot>(context, handle, 'toolCall', 'toolCallFinished');
      if (!slot) return false;
      const next = step(slot, ToolCallEvent.FINISH, 'toolCallFinished');
      if (next < 0) return false;
      const prepared = toolCallTable.states[next]!.context.prepared === true;
      const data = prepared ? FINISHED_PREPARED : FINISHED_UNPREPARED;
      const event = log.stamp('toolCall.finished', slot.generation, slot.id, data);
      log.append(event);
      finishToolCall(state, slot.generation, slot);
      log.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallFinish;
      if (hook) isolation.guard('onToolCallFinish', slot, () => hook.call(observers, slot, data));
      return true;
    },
  };
}
