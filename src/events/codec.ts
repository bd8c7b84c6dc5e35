import { ToolflightError, type ToolflightErrorCode, messageOf } from '../errors.js';
import { isJsonObject } from './validate.js';
import { EVENT_VERSION, TOOL_CALL_OUTCOMES, type ToolflightEvent } from './types.js';

/** Where a recording line came from, so that an error can name it. */
export interface LineSource {
  /** The file or stream name. */
  readonly source?: string;
  /** The 1-based line number. */
  readonly line?: number;
}

/** A recording line that is not a valid toolflight event; `line` and `source` say where. */
export class DecodeError extends ToolflightError {
  readonly line: number | undefined;
  readonly source: string | undefined;

  constructor(code: ToolflightErrorCode, message: string, where: LineSource = {}) {
    const place = [where.source, where.line].filter((part) => part !== undefined).join(':');
    super(code, place ? `${place}: ${message}` : message);
    this.line = where.line;
    this.source = where.source;
  }
}

/** Which entity fields an event type carries: a capture generation, an entity in one, or either. */
type Scope = 'capture' | 'entity' | 'loose';
type Rule = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'outcome' | 'any';
/** Field name -> [rule, required]. */
type DataShape = Readonly<Record<string, readonly [Rule, boolean]>>;

interface Shape {
  readonly scope: Scope;
  /** undefined: the event has no `data`. */
  readonly data?: DataShape;
}

const outboxData: DataShape = {
  key: ['string', true],
  tool: ['string', true],
  reason: ['string', false],
  toolCall: ['string', false],
};

const SHAPES: Readonly<Record<ToolflightEvent['type'], Shape>> = {
  'capture.begun': { scope: 'capture' },
  'capture.cleared': { scope: 'capture' },
  'capture.yielded': { scope: 'entity', data: { message: ['string', true] } },
  'request.started': { scope: 'entity', data: {} },
  'request.classified': {
    scope: 'entity',
    data: { method: ['string', false], rpc: ['object', false] },
  },
  'request.finished': {
    scope: 'entity',
    data: { status: ['number', false], error: ['object', false] },
  },
  'toolCall.started': {
    scope: 'entity',
    data: { request: ['string', false], toolName: ['string', true], args: ['object', true] },
  },
  'toolCall.prepared': {
    scope: 'entity',
    data: { toolName: ['string', true], args: ['object', true] },
  },
  'toolCall.result': {
    scope: 'entity',
    data: {
      outcome: ['outcome', true],
      isError: ['boolean', true],
      result: ['any', false],
      reason: ['string', false],
    },
  },
  'toolCall.finished': { scope: 'entity', data: { prepared: ['boolean', true] } },
  'observer.failed': {
    scope: 'loose',
    data: { hook: ['string', true], message: ['string', true] },
  },
  'catalog.listed': {
    scope: 'loose',
    data: {
      server: ['string', true],
      tools: ['array', true],
      fingerprint: ['string', true],
      kept: ['boolean', false],
      config: ['string', false],
    },
  },
  'gateway.configured': { scope: 'loose', data: { servers: ['array', true] } },
  'context.changed': { scope: 'loose', data: {} },
  'upstream.changed': {
    scope: 'loose',
    data: {
      server: ['string', true],
      state: ['string', true],
      reason: ['string', false],
      retryInMs: ['number', false],
      stderr: ['string', false],
    },
  },
  'outbox.enqueued': { scope: 'loose', data: outboxData },
  'outbox.delivered': { scope: 'loose', data: outboxData },
  'outbox.rejected': { scope: 'loose', data: outboxData },
  'log.gap': { scope: 'loose', data: { through: ['number', true], reason: ['string', true] } },
  'agent.asked': {
    scope: 'loose',
    data: { method: ['string', true], relay: ['string', true], toolCall: ['string', false] },
  },
  'session.opened': {
    scope: 'loose',
    data: {
      session: ['string', true],
      protocolVersion: ['string', false],
      transport: ['string', true],
      server: ['object', false],
      clientName: ['string', false],
      clientVersion: ['string', false],
    },
  },
  'session.closed': {
    scope: 'loose',
    data: { session: ['string', true], reason: ['string', true] },
  },
  'upstream.requested': {
    scope: 'loose',
    data: {
      server: ['string', true],
      method: ['string', true],
      transport: ['string', true],
      trace: ['object', true],
      session: ['string', false],
      protocolVersion: ['string', false],
      target: ['string', false],
      uri: ['string', false],
      peer: ['object', false],
      request: ['string', false],
      toolCall: ['string', false],
      outbox: ['string', false],
    },
  },
  'upstream.answered': {
    scope: 'loose',
    data: {
      server: ['string', true],
      span: ['string', true],
      outcome: ['string', true],
      error: ['object', false],
      reason: ['string', false],
    },
  },
  'idle.waited': {
    scope: 'loose',
    data: {
      result: ['string', true],
      waitedMs: ['number', true],
      timeoutMs: ['number', false],
      admissionGraceMs: ['number', true],
    },
  },
  'agent.answered': {
    scope: 'loose',
    data: {
      method: ['string', true],
      relay: ['string', true],
      toolCall: ['string', false],
      error: ['string', false],
    },
  },
};

/** The envelope's keys, each with its place in the canonical order. */
const ENVELOPE_KEYS = new Map(
  ['v', 'seq', 'at', 'type', 'capture', 'gen', 'id', 'data'].map((key, i) => [key, i]),
);

/** A data field's check, precompiled per type so that validation allocates nothing per event. */
interface FieldCheck {
  readonly field: string;
  readonly rule: Rule;
  readonly required: boolean;
}

const CHECKS: ReadonlyMap<
  string,
  { readonly type: string; readonly scope: Scope; readonly data?: readonly FieldCheck[] }
> = new Map(
  Object.entries(SHAPES).map(([type, shape]) => [
    type,
    {
      type,
      scope: shape.scope,
      ...(shape.data && {
        data: Object.entries(shape.data).map(([field, [rule, required]]) => ({
          field,
          rule,
          required,
        })),
      }),
    },
  ]),
);

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

const isName = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

function fits(rule: Rule, value: unknown): boolean {
  switch (rule) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isJsonObject(value);
    case 'array':
      return Array.isArray(value);
    case 'outcome':
      return (TOOL_CALL_OUTCOMES as readonly unknown[]).includes(value);
    case 'any':
      return true;
  }
}

function fail(code: ToolflightErrorCode, message: string, where: LineSource): never {
  throw new DecodeError(code, message, where);
}

function checkEnvelopeField(
  type: string,
  field: string,
  value: unknown,
  required: boolean,
  valid: (x: unknown) => boolean,
  where: LineSource,
): void {
  if (value === undefined) {
    if (required) fail('invalid_event', `${type} needs "${field}"`, where);
  } else if (!valid(value)) {
    fail('invalid_event', `"${field}" of ${type} is not valid: ${JSON.stringify(value)}`, where);
  }
}

/** Encode one event as one JSONL line, without the newline. */
export function encodeEvent(event: ToolflightEvent): string {
  return JSON.stringify(event);
}

/**
 * Decode and validate one recording line.
 *
 * The result has the canonical key order, so `encodeEvent(decodeEvent(line))` reproduces a line
 * that toolflight wrote. Throws a {@link DecodeError} naming the line for anything else: text that
 * is not JSON, an unknown `type`, a `v` this version cannot read, a missing or mistyped field.
 */
export function decodeEvent(text: string, where: LineSource = {}): ToolflightEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = messageOf(error);
    throw new DecodeError('not_json', `not a JSON event (${reason})`, where);
  }
  // The parsed object is nobody else's: kept as the event when its keys are in order already.
  return checkEvent(parsed, where, false);
}

/** Validate an already-parsed value as an event (see {@link decodeEvent}). */
export function validateEvent(value: unknown, where: LineSource = {}): ToolflightEvent {
  return checkEvent(value, where, true);
}

/**
 * Check a value as an event; the event returned has the canonical key order. `copy`: always
 * a new envelope, else `value` itself when its keys are in that order (every line toolflight
 * wrote), which spares a million-event recording a million objects to make and collect.
 */
function checkEvent(value: unknown, where: LineSource, copy: boolean): ToolflightEvent {
  if (!isJsonObject(value)) return fail('invalid_event', 'an event must be a JSON object', where);
  const { v, seq, at, type, capture, gen, id, data } = value;
  if (v !== EVENT_VERSION) {
    if (typeof v === 'number' && v > EVENT_VERSION) {
      fail(
        'unsupported_version',
        `event schema v${v} is newer than this toolflight reads (v${EVENT_VERSION}): upgrade toolflight`,
        where,
      );
    }
    fail('invalid_event', `"v" must be ${EVENT_VERSION}, got ${String(JSON.stringify(v))}`, where);
  }
  if (typeof type !== 'string') return fail('invalid_event', '"type" must be a string', where);
  const shape = CHECKS.get(type);
  if (!shape)
    return fail('unknown_event_type', `unknown event type ${JSON.stringify(type)}`, where);
  if (!isPositiveInteger(seq)) {
    fail('invalid_event', `"seq" must be a positive integer (${type})`, where);
  }
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    fail('invalid_event', `"at" must be a finite number (${type})`, where);
  }
  let place = -1;
  let ordered = true;
  for (const key in value) {
    const next = ENVELOPE_KEYS.get(key);
    if (next === undefined) fail('invalid_event', `unexpected field ${JSON.stringify(key)}`, where);
    if (next < place) ordered = false;
    place = next;
  }
  const needsCapture = shape.scope !== 'loose';
  checkEnvelopeField(type, 'capture', capture, needsCapture, isName, where);
  checkEnvelopeField(type, 'gen', gen, needsCapture, isPositiveInteger, where);
  checkEnvelopeField(type, 'id', id, shape.scope === 'entity', isName, where);
  if (shape.scope === 'capture' && id !== undefined)
    fail('invalid_event', `${type} has no "id"`, where);

  const fields = shape.data;
  if (!fields) {
    if (data !== undefined) fail('invalid_event', `${type} has no "data"`, where);
  } else {
    if (!isJsonObject(data))
      return fail('invalid_event', `"data" must be an object (${type})`, where);
    for (let i = 0; i < fields.length; i++) {
      const { field, rule, required } = fields[i]!;
      const fieldValue = data[field];
      if (fieldValue === undefined) {
        if (required) fail('invalid_event', `${type} needs data.${field}`, where);
      } else if (!fits(rule, fieldValue)) {
        const expected =
          rule === 'outcome' ? `one of ${TOOL_CALL_OUTCOMES.join(', ')}` : `a ${rule}`;
        fail('invalid_event', `data.${field} of ${type} must be ${expected}`, where);
      }
    }
  }

  if (ordered && !copy) {
    // One string per type, not one per event: a million copies of "toolCall.result" are 32 MB.
    value.type = shape.type;
    return value as unknown as ToolflightEvent;
  }
  // Rebuild in canonical key order so that re-encoding is byte-identical.
  const event: Record<string, unknown> = { v, seq, at, type: shape.type };
  if (capture !== undefined) event.capture = capture;
  if (gen !== undefined) event.gen = gen;
  if (id !== undefined) event.id = id;
  if (data !== undefined) event.data = data;
  return event as unknown as ToolflightEvent;
}
