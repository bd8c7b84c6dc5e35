// The per-capture projection as plain JSON and back: how an inspector's server hands a page the
// state at the start of a window of the log, so that the page folds on from there instead of
// from the first event.
import type { ToolCallOutcome } from '../events/types.js';
import type {
  CapturesState,
  EntityRecord,
  GenerationRecord,
  RequestRecord,
  ToolCallRecord,
} from './captureRecords.js';
import { initialCapturesState } from './captures.js';
import { LiveList } from './liveList.js';

/** A live request or tool call, as in {@link EntityRecord} without its links. */
export type EntityJson =
  | Omit<RequestRecord, 'prev' | 'next'>
  | (Omit<ToolCallRecord, 'prev' | 'next' | 'outcome' | 'isError' | 'request'> & {
      readonly request: string | null;
      readonly outcome: ToolCallOutcome | null;
      readonly isError: boolean | null;
    });

/** One generation with its live entities, in the order they started. */
export interface GenerationJson {
  readonly key: string;
  readonly gen: number;
  readonly state: number;
  readonly current: boolean;
  readonly inFlight: number;
  readonly activityVersion: number;
  /** False for a generation only `byKey` holds (a fold never makes one, a copy keeps it). */
  readonly listed: boolean;
  readonly entities: readonly EntityJson[];
}

/** {@link CapturesState} as JSON: what `capturesStateToJson` writes and `…FromJson` reads. */
export interface CapturesJson {
  readonly seq: number;
  readonly generations: readonly GenerationJson[];
  /** `[key, gen]` of each key's current generation. */
  readonly byKey: readonly (readonly [string, number])[];
}

const entityJson = (record: EntityRecord): EntityJson =>
  record.kind === 'request'
    ? {
        kind: 'request',
        id: record.id,
        gen: record.gen,
        stateIndex: record.stateIndex,
        method: record.method,
        startedAt: record.startedAt,
      }
    : {
        kind: 'toolCall',
        id: record.id,
        gen: record.gen,
        stateIndex: record.stateIndex,
        request: record.request ?? null,
        toolName: record.toolName,
        args: record.args,
        outcome: record.outcome ?? null,
        isError: record.isError ?? null,
        startedAt: record.startedAt,
      };

/** The projection as JSON (a fold of plain records: a tracker's own handles are not written). */
export function capturesStateToJson(state: CapturesState): CapturesJson {
  const generations: GenerationJson[] = [];
  const write = (generation: GenerationRecord, listed: boolean): void => {
    generations.push({
      key: generation.key,
      gen: generation.gen,
      state: generation.state,
      current: generation.current,
      inFlight: generation.inFlight,
      activityVersion: generation.activityVersion,
      listed,
      entities: [...generation.requests, ...generation.toolCalls].map(entityJson),
    });
  };
  for (const generation of state.byGen.values()) write(generation, true);
  for (const generation of state.byKey.values())
    if (state.byGen.get(generation.gen) !== generation) write(generation, false);
  return {
    seq: state.seq,
    generations,
    byKey: [...state.byKey].map(([key, generation]) => [key, generation.gen] as const),
  };
}

/** Thrown by {@link capturesStateFromJson} for JSON that is not a projection. */
export class CapturesJsonError extends Error {
  override readonly name = 'CapturesJsonError';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function readEntity(value: unknown, gen: number, where: string): EntityRecord {
  if (!isObject(value) || typeof value.id !== 'string' || value.gen !== gen)
    throw new CapturesJsonError(`${where}: not an entity of generation ${gen}`);
  if (!isCount(value.stateIndex) || typeof value.startedAt !== 'number')
    throw new CapturesJsonError(`${where}: stateIndex and startedAt must be numbers`);
  const base = { id: value.id, gen, stateIndex: value.stateIndex, startedAt: value.startedAt };
  const links = { prev: undefined, next: undefined };
  if (value.kind === 'request') {
    const method = typeof value.method === 'string' ? value.method : undefined;
    return { ...links, kind: 'request', ...base, method };
  }
  if (value.kind !== 'toolCall' || typeof value.toolName !== 'string' || !isObject(value.args))
    throw new CapturesJsonError(
      `${where}: kind must be request, or toolCall with toolName and args`,
    );
  return {
    ...links,
    kind: 'toolCall',
    ...base,
    request: typeof value.request === 'string' ? value.request : undefined,
    toolName: value.toolName,
    args: value.args,
    outcome: typeof value.outcome === 'string' ? (value.outcome as ToolCallOutcome) : undefined,
    isError: typeof value.isError === 'boolean' ? value.isError : undefined,
  };
}

/**
 * The projection `capturesStateToJson` wrote, ready to fold on (indexed by entity id). Throws a
 * {@link CapturesJsonError} naming the first part that is not what it wrote.
 */
export function capturesStateFromJson(json: unknown): CapturesState {
  if (!isObject(json) || !isCount(json.seq) || !Array.isArray(json.generations))
    throw new CapturesJsonError('not a projection: seq and generations are missing');
  const state = initialCapturesState();
  const entities = state.entities!;
  state.seq = json.seq;
  const all = new Map<number, GenerationRecord>();
  json.generations.forEach((value: unknown, i) => {
    const where = `generations[${i}]`;
    if (!isObject(value) || typeof value.key !== 'string' || !isCount(value.gen))
      throw new CapturesJsonError(`${where}: key and gen are missing`);
    if (!isCount(value.state) || !isCount(value.inFlight) || !isCount(value.activityVersion))
      throw new CapturesJsonError(`${where}: state, inFlight and activityVersion must be counts`);
    if (!Array.isArray(value.entities))
      throw new CapturesJsonError(`${where}: entities must be a list`);
    const gen = value.gen;
    const generation: GenerationRecord = {
      key: value.key,
      gen,
      state: value.state,
      current: value.current === true,
      inFlight: value.inFlight,
      activityVersion: value.activityVersion,
      requests: new LiveList(),
      toolCalls: new LiveList(),
    };
    value.entities.forEach((entity: unknown, j) => {
      const record = readEntity(entity, gen, `${where}.entities[${j}]`);
      if (record.kind === 'request') generation.requests.push(record);
      else generation.toolCalls.push(record);
      entities.set(record.id, record);
    });
    all.set(gen, generation);
    if (value.listed !== false) state.byGen.set(gen, generation);
  });
  if (!Array.isArray(json.byKey)) throw new CapturesJsonError('byKey must be a list');
  for (const entry of json.byKey as unknown[]) {
    const pair = Array.isArray(entry) ? (entry as unknown[]) : [];
    const generation = all.get(pair[1] as number);
    if (!generation || pair[0] !== generation.key)
      throw new CapturesJsonError(`byKey: ${JSON.stringify(entry)} names no generation written`);
    state.byKey.set(generation.key, generation);
  }
  return state;
}
