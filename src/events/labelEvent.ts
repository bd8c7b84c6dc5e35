// One log made of several: each source's events renamed apart, so that a fold of the merged log
// keeps every host's captures, entities, sessions and servers its own.
import type { ToolflightEvent } from './types.js';

/** Between a source's label and a name of that source in a merged log: `host-a/run-1`. */
export const LABEL_SEPARATOR = '/';

/**
 * Data fields that, as strings, name something of the same log: an entity (`request`,
 * `toolCall`), a capture key (`context.changed`'s `capture`), an MCP session, an upstream
 * (`server`; `session.opened`'s is an address, not a name), an outbox entry (`outbox`) and an
 * agent request (`relay`).
 */
const REFERENCES = ['request', 'toolCall', 'capture', 'session', 'server', 'outbox', 'relay'];

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The event as it reads in a log merged from several sources: its capture key, entity id, and
 * every name its data gives of the same log all start with `label/`: the entities, capture,
 * session, server, outbox entry and agent request it names (`request`, `toolCall`, `capture`,
 * `session`, `server`, `outbox`, `relay`), the session of a request (`rpc.session`), the
 * servers of a configuration (`servers[].name`) and, for `outbox.*`, the entry key; `seq` is
 * its place in the merged log. Everything else is kept as it is, `at` and trace ids included.
 * `unlabel` gives the source's names back. An event that names nothing of its log (a `log.gap`,
 * a host-wide `context.changed` or `observer.failed`) is left without a label.
 */
export function labelEvent(event: ToolflightEvent, label: string, seq: number): ToolflightEvent {
  const prefix = `${label}${LABEL_SEPARATOR}`;
  const out: Fields = { ...event, seq };
  if (event.capture !== undefined) out.capture = prefix + event.capture;
  if (event.id !== undefined) out.id = prefix + event.id;
  if (isFields(event.data)) {
    const data: Fields = { ...event.data };
    let changed = false;
    const rename = (fields: Fields, field: string): boolean => {
      if (typeof fields[field] !== 'string') return false;
      fields[field] = prefix + fields[field];
      return (changed = true);
    };
    for (const field of REFERENCES) rename(data, field);
    if (event.type.startsWith('outbox.')) rename(data, 'key');
    if (event.type === 'request.classified' && isFields(data.rpc)) {
      const rpc = { ...data.rpc };
      if (rename(rpc, 'session')) data.rpc = rpc;
    }
    if (event.type === 'gateway.configured' && Array.isArray(data.servers)) {
      data.servers = data.servers.map((server: unknown) => {
        if (!isFields(server)) return server;
        const renamed = { ...server };
        rename(renamed, 'name');
        return renamed;
      });
    }
    if (changed) out.data = data;
  }
  return out as unknown as ToolflightEvent;
}

/** The label and the source's own name of a name in a merged log; undefined label when none. */
export function unlabel(name: string): {
  readonly label: string | undefined;
  readonly name: string;
} {
  const at = name.indexOf(LABEL_SEPARATOR);
  return at < 0
    ? { label: undefined, name }
    : { label: name.slice(0, at), name: name.slice(at + 1) };
}

/**
 * The label of the source an event of a merged log came from, read from the first name it
 * carries (as `labelEvent` wrote them); undefined for an event that names nothing of its log.
 */
export function labelOf(event: ToolflightEvent): string | undefined {
  const data: unknown = event.data;
  let named: unknown = event.capture ?? event.id;
  if (named === undefined && isFields(data)) {
    const fields = [...REFERENCES, ...(event.type.startsWith('outbox.') ? ['key'] : [])];
    named = fields.map((field) => data[field]).find((value) => typeof value === 'string');
    if (named === undefined && event.type === 'gateway.configured' && Array.isArray(data.servers))
      named = (data.servers as unknown[]).find(isFields)?.name;
  }
  return typeof named === 'string' ? unlabel(named).label : undefined;
}
