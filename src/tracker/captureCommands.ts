// @internal The commands of the capture machine: begin, clear, and the agent's yielded messages.
import { CaptureEvent, captureTable } from '../../machines/compiledTables.js';
import { ToolflightError } from '../errors.js';
import { normalizeName } from '../events/validate.js';
import { beginGeneration, clearGeneration } from '../projections/captureTransitions.js';
import type { RequestSlot } from './slots.js';
import {
  currentGeneration,
  generationScope,
  refuse,
  type TrackerContext,
} from './trackerContext.js';
import type { Tracker } from './Tracker.js';

/** `beginCapture`, `clearCapture` and `yielded` over one tracker's context. */
export function captureCommands(
  context: TrackerContext,
): Pick<Tracker, 'beginCapture' | 'clearCapture' | 'yielded'> {
  const { state, log, handles, isolation, observersByKey } = context;
  return {
    beginCapture(key, observers) {
      const capture = normalizeName(key, 'capture key');
      if (capture === undefined) return refuse(context, undefined, 'beginCapture', 'blank_key');
      const gen = context.generations + 1;
      const event = log.stampCapture('capture.begun', capture, gen);
      log.append(event);
      context.generations = gen;
      beginGeneration(state, event);
      if (observers) observersByKey.set(capture, observers);
      else observersByKey.delete(capture);
      log.publish(event);
      return gen;
    },

    clearCapture(key) {
      const generation = currentGeneration(context, key, 'clearCapture');
      if (!generation) return false;
      if (captureTable.step(generation.state, CaptureEvent.CLEAR) < 0) {
        return refuse(
          context,
          false,
          'clearCapture',
          'capture_cleared',
          generationScope(generation),
        );
      }
      const event = log.stampCapture('capture.cleared', generation.key, generation.gen);
      log.append(event);
      clearGeneration(state, generation);
      observersByKey.delete(generation.key);
      log.publish(event);
      return true;
    },

    async yielded(handle, text) {
      const slot = handles.own<RequestSlot>(handle, 'request');
      if (!slot) return refuse(context, false, 'yielded', 'no_handle');
      if (captureTable.step(slot.generation.state, CaptureEvent.YIELD) < 0) {
        return refuse(context, false, 'yielded', 'capture_cleared', slot);
      }
      if (typeof text !== 'string') {
        throw new ToolflightError('invalid_argument', 'a yielded message must be a string');
      }
      const event = log.stamp('capture.yielded', slot.generation, slot.id, { message: text });
      log.append(event);
      log.publish(event);
      const observers = slot.observers;
      const hook = observers?.onYield;
      if (hook) await isolation.guard('onYield', slot, () => hook.call(observers, text, slot));
      return true;
    },
  };
}
