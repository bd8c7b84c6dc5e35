// The timeline's filters computed from a log's events alone: what the inspector's matches,
// in the page and on the server, are checked against.
import { maskSecrets } from '../../src/events/maskSecrets.js';
import type { ToolflightEvent } from '../../src/events/types.js';
import { noFilter, type TimelineFilter } from '../../src/inspector/page/timelineFilter.js';

/** No filter on. */
export const none: TimelineFilter = noFilter();

/**
 * The indexes of the events that pass `filter`: each event's request or tool call as the
 * whole log knows it (its tool, its settled outcome, its duration, up to the last event while
 * open), and the search over the event with its data masked.
 */
export function reference(events: readonly ToolflightEvent[], filter: TimelineFilter): number[] {
  const facts = new Map<string, { tool?: string; outcome?: string; start: number; end?: number }>();
  for (const e of events) {
    if (e.id === undefined) continue;
    const fact = facts.get(e.id) ?? { start: e.at };
    facts.set(e.id, fact);
    if (e.type === 'toolCall.started') fact.tool = e.data.toolName;
    if (e.type === 'toolCall.result') fact.outcome = e.data.outcome;
    if (e.type === 'request.finished') {
      const failed = e.data.error !== undefined || (e.data.status ?? 0) >= 400;
      fact.outcome = failed ? 'failed' : 'completed';
    }
    if (e.type === 'toolCall.finished' || e.type === 'request.finished') fact.end = e.at;
  }
  const last = events[events.length - 1]?.at ?? 0;
  const passes = (e: ToolflightEvent): boolean => {
    const fact = e.id === undefined ? undefined : facts.get(e.id);
    const text = JSON.stringify(e.data === undefined ? e : { ...e, data: maskSecrets(e.data) });
    if (filter.type && e.type !== filter.type) return false;
    if (filter.capture && e.capture !== filter.capture) return false;
    if (filter.tool && fact?.tool !== filter.tool) return false;
    if (filter.search && !text.toLowerCase().includes(filter.search.toLowerCase())) return false;
    if (filter.outcome) {
      if (fact?.outcome === undefined) return false;
      const failure = fact.outcome !== 'completed';
      if (filter.outcome === 'failure' ? !failure : fact.outcome !== filter.outcome) return false;
    }
    if (filter.slower && (!fact || (fact.end ?? last) - fact.start < Number(filter.slower)))
      return false;
    return true;
  };
  const found: number[] = [];
  events.forEach((e, index) => passes(e) && found.push(index));
  return found;
}
