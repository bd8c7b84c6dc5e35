import { maskSecrets } from './maskSecrets.js';
import type { ToolflightEvent } from './types.js';

/**
 * A one-line summary of an event's payload for people (the demo's timeline, the inspector's),
 * with secret-looking values masked: `send {"to":"#ops","apiKey":"••••••"}`, `completed`,
 * `status 200`.
 */
export function summarizeEvent(event: ToolflightEvent): string {
  switch (event.type) {
    case 'toolCall.started':
    case 'toolCall.prepared':
      return `${event.data.toolName} ${JSON.stringify(maskSecrets(event.data.args))}`;
    case 'toolCall.result':
      return `${event.data.outcome}${event.data.reason ? ` (${event.data.reason})` : ''}`;
    case 'toolCall.finished':
      return `prepared=${event.data.prepared}`;
    case 'request.classified':
      return event.data.method ?? '';
    case 'request.finished':
      return event.data.status === undefined ? 'connection dropped' : `status ${event.data.status}`;
    case 'observer.failed':
      return `${event.data.hook}: ${event.data.message}`;
    default:
      return event.data === undefined ? '' : JSON.stringify(maskSecrets(event.data)).slice(0, 200);
  }
}
