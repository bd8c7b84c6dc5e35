// A copy of the per-capture projection that folds on without touching the original: what a
// cursor keeps as a checkpoint to move back without folding again from the start.
import type { CapturesState, EntityRecord, GenerationRecord } from './captureRecords.js';
import { LiveList } from './liveList.js';

/**
 * A deep copy of `state`: its generations, their live lists and the live entities, as new
 * records linked the same way (event data, such as tool arguments, is shared: folds never
 * change it). For a fold of plain records, one made without a `records` factory: a tracker's
 * handles are its own and are not copied.
 */
export function cloneCapturesState(state: CapturesState): CapturesState {
  const entities = state.entities === undefined ? undefined : new Map<string, EntityRecord>();
  const copied = new Map<EntityRecord, EntityRecord>();
  const copy = <T extends EntityRecord>(record: T): T => {
    const twin = { ...record, prev: undefined, next: undefined };
    copied.set(record, twin);
    entities?.set(twin.id, twin);
    return twin;
  };
  const byGen = new Map<number, GenerationRecord>();
  for (const [gen, generation] of state.byGen) {
    const twin: GenerationRecord = {
      ...generation,
      requests: new LiveList(),
      toolCalls: new LiveList(),
    };
    for (const request of generation.requests) twin.requests.push(copy(request));
    for (const toolCall of generation.toolCalls) twin.toolCalls.push(copy(toolCall));
    byGen.set(gen, twin);
  }
  const byKey = new Map<string, GenerationRecord>();
  for (const [key, generation] of state.byKey) {
    byKey.set(key, byGen.get(generation.gen) ?? generation);
  }
  // A live entity no generation lists (should not happen) is still copied, not shared.
  for (const entity of state.entities?.values() ?? []) if (!copied.has(entity)) copy(entity);
  return { byKey, byGen, entities, records: state.records, seq: state.seq };
}
