// @internal What every command of a tracker shares, and how it says why it refused.
import type { TransitionTable } from '../../machines/compileMachine.js';
import { normalizeName } from '../events/validate.js';
import type { CapturesState, GenerationRecord } from '../projections/captureRecords.js';
import { isLive } from '../projections/captureTransitions.js';
import type { HandleOwnership } from './handleOwnership.js';
import type { IdSource } from './ids.js';
import type { ObserverIsolation } from './observerIsolation.js';
import type { CaptureObservers } from './observers.js';
import type { RequestSlot, ToolCallSlot } from './slots.js';
import type { RefusalReason, TrackerRefusal } from './Tracker.js';
import type { LooseScope, TrackerLog } from './trackerLog.js';

/** The parts of one tracker its commands work on. */
export interface TrackerContext {
  readonly state: CapturesState;
  readonly log: TrackerLog;
  readonly isolation: ObserverIsolation;
  readonly handles: HandleOwnership;
  readonly observersByKey: Map<string, CaptureObservers>;
  readonly ids: IdSource;
  /** The highest generation number begun so far. */
  generations: number;
  /** Undefined when the host asked for no refusal reasons: then a refusal costs nothing. */
  readonly onRefused: ((refusal: TrackerRefusal) => void) | undefined;
}

/** Where a refusal happened: the same optional capture, gen and id as a loose event's. */
type RefusalScope = LooseScope;

/** A generation as the scope of a refusal. */
export const generationScope = (generation: GenerationRecord): RefusalScope => ({
  capture: generation.key,
  gen: generation.gen,
});

function sentence(command: string, reason: RefusalReason, scope: RefusalScope, detail: string) {
  const capture = JSON.stringify(scope.capture);
  switch (reason) {
    case 'blank_key':
      return `${command}: the capture key is missing or blank: pass the key the capture was begun with`;
    case 'unknown_capture':
      return `${command}: no capture ${capture} is active: begin it with beginCapture first (a cleared capture admits nothing until it is begun again)`;
    case 'capture_cleared':
      return `${command}: capture ${capture} gen ${scope.gen} was cleared: its work no longer changes the log`;
    case 'no_handle':
      return `${command}: the handle is undefined: the command that should have returned it was refused`;
    case 'request_finished':
      return `${command}: request ${scope.id} has finished: start the call while its request is live, or by capture key`;
    case 'blank_tool_name':
      return `${command}: the tool name is missing or blank`;
    case 'machine':
      return `${command}: ${detail}`;
  }
}

/**
 * Tell the host why `command` appended nothing, if it asked (`onRefused`), and return `value`
 * (what the command returns on a refusal). `detail` is only read for `machine`.
 */
export function refuse<T>(
  context: TrackerContext,
  value: T,
  command: string,
  reason: RefusalReason,
  scope: RefusalScope = {},
  detail = '',
): T {
  const hook = context.onRefused;
  if (hook === undefined) return value;
  const refusal: TrackerRefusal = {
    command,
    reason,
    message: sentence(command, reason, scope, detail),
    ...(scope.capture === undefined ? {} : { capture: scope.capture }),
    ...(scope.gen === undefined ? {} : { gen: scope.gen }),
    ...(scope.id === undefined ? {} : { id: scope.id }),
  };
  try {
    hook(refusal);
  } catch (error) {
    context.isolation.report('onRefused', error, scope);
  }
  return value;
}

/** The refusal of a transition by an entity's machine, from its state, as a sentence. */
export const machineRefuses = (
  table: TransitionTable,
  state: number,
  event: number,
  id: string,
): string =>
  `the ${table.machineId} machine of ${id} in state ${table.describe(state)} refuses ${table.events[event]}`;

/**
 * The tracker's own slot behind a handle while its generation is live, or the refusal (no
 * handle, capture cleared). Throws for a foreign handle.
 */
export function liveSlot<S extends RequestSlot | ToolCallSlot>(
  context: TrackerContext,
  handle: unknown,
  kind: S['kind'],
  command: string,
): S | undefined {
  const slot = context.handles.own<S>(handle, kind);
  if (!slot) return refuse(context, undefined, command, 'no_handle');
  if (!isLive(slot.generation)) return refuse(context, undefined, command, 'capture_cleared', slot);
  return slot;
}

/** The key's current generation, or the refusal: blank key or no active capture. */
export function currentGeneration(
  context: TrackerContext,
  key: unknown,
  command: string,
): GenerationRecord | undefined {
  const capture = normalizeName(key, 'capture key');
  if (capture === undefined) return refuse(context, undefined, command, 'blank_key');
  const generation = context.state.byKey.get(capture);
  return generation ?? refuse(context, undefined, command, 'unknown_capture', { capture });
}
