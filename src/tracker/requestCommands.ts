// @internal The commands of the request machine: started, classified, finished.
import {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
} from '../../machines/compiledTables.js';
import { checkFacts, checkStatus, normalizeName } from '../events/validate.js';
import { classifyRequest, finishRequest, startRequest } from '../projections/captureTransitions.js';
import { RequestSlot } from './slots.js';
import {
  currentGeneration,
  liveSlot,
  machineRefuses,
  generationScope,
  refuse,
  type TrackerContext,
} from './trackerContext.js';
import type { Tracker } from './Tracker.js';

/** No data: one frozen `{}` shared by every event that has none, so no allocation per event. */
const NO_DATA: Record<string, never> = Object.freeze({});

/** `requestStarted`, `requestClassified` and `requestFinished` over one tracker's context. */
export function requestCommands(
  context: TrackerContext,
): Pick<Tracker, 'requestStarted' | 'requestClassified' | 'requestFinished'> {
  const { state, log, handles, isolation, observersByKey, ids } = context;
  const owner = handles.owner;

  return {
    requestStarted(key) {
      const generation = currentGeneration(context, key, 'requestStarted');
      if (!generation) return undefined;
      if (captureTable.step(generation.state, CaptureEvent.ADMIT) < 0) {
        return refuse(
          context,
          undefined,
          'requestStarted',
          'capture_cleared',
          generationScope(generation),
        );
      }
      const event = log.stamp('request.started', generation, ids('rq'), NO_DATA);
      log.append(event);
      const observers = observersByKey.get(generation.key);
      const slot = new RequestSlot(owner, generation, observers, event);
      startRequest(state, generation, slot);
      log.publish(event);
      const hook = observers?.onRequestStart;
      if (hook) isolation.guard('onRequestStart', slot, () => hook.call(observers, slot));
      return slot;
    },

    requestClassified(handle, info = {}) {
      const slot = liveSlot<RequestSlot>(context, handle, 'request', 'requestClassified');
      if (!slot) return false;
      if (requestTable.step(slot.stateIndex, RequestEvent.CLASSIFY) < 0) {
        const why = machineRefuses(requestTable, slot.stateIndex, RequestEvent.CLASSIFY, slot.id);
        return refuse(context, false, 'requestClassified', 'machine', slot, why);
      }
      const method = normalizeName(info.method, 'method');
      const rpc = checkFacts(info.rpc, 'rpc');
      const data =
        rpc === undefined
          ? method === undefined
            ? NO_DATA
            : { method }
          : method === undefined
            ? { rpc }
            : { method, rpc };
      const event = log.stamp('request.classified', slot.generation, slot.id, data);
      log.append(event);
      classifyRequest(event, slot);
      log.publish(event);
      const observers = slot.observers;
      const hook = observers?.onRequestClassified;
      if (hook) {
        const classified = method === undefined ? { implicit: false } : { method, implicit: false };
        isolation.guard('onRequestClassified', slot, () => hook.call(observers, slot, classified));
      }
      return true;
    },

    requestFinished(handle, info = {}) {
      const slot = liveSlot<RequestSlot>(context, handle, 'request', 'requestFinished');
      if (!slot) return false;
      const from = slot.stateIndex;
      if (requestTable.step(from, RequestEvent.FINISH) < 0) {
        const why = machineRefuses(requestTable, from, RequestEvent.FINISH, slot.id);
        return refuse(context, false, 'requestFinished', 'machine', slot, why);
      }
      const status = checkStatus(info.status);
      const error = checkFacts(info.error, 'error');
      const data =
        error === undefined
          ? status === undefined
            ? NO_DATA
            : { status }
          : status === undefined
            ? { error }
            : { status, error };
      const event = log.stamp('request.finished', slot.generation, slot.id, data);
      log.append(event);
      finishRequest(state, slot.generation, slot);
      log.publish(event);
      const observers = slot.observers;
      if (!observers) return true;
      const classify = observers.onRequestClassified;
      if (from === requestTable.initial && classify) {
        isolation.guard('onRequestClassified', slot, () =>
          classify.call(observers, slot, { implicit: true }),
        );
      }
      const finish = observers.onRequestFinish;
      if (finish) {
        const finished = status === undefined ? {} : { status };
        isolation.guard('onRequestFinish', slot, () => finish.call(observers, slot, finished));
      }
      return true;
    },
  };
}
