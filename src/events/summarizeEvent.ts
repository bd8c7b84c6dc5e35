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
    case 'request.started':
      return '';
    case 'request.classified':
      return event.data.method ?? '';
    case 'request.finished':
      return event.data.status === undefined ? 'connection dropped' : `status ${event.data.status}`;
    case 'observer.failed':
      return `${event.data.hook}: ${event.data.message}`;
    case 'catalog.listed':
      return `${event.data.server}: ${event.data.tools.length} tool(s)`;
    case 'upstream.changed': {
      const { server, state, reason, retryInMs, stderr } = event.data;
      if (stderr !== undefined) return `${server} stderr: ${stderr.slice(0, 200)}`;
      const retry = retryInMs === undefined ? '' : `, retry in ${retryInMs} ms`;
      return `${server} ${state}${reason === undefined ? '' : ` (${reason.slice(0, 200)})`}${retry}`;
    }
    case 'outbox.enqueued':
    case 'outbox.delivered':
      return `${event.data.tool} key=${event.data.key}`;
    case 'outbox.rejected':
      return `${event.data.tool} key=${event.data.key}: ${(event.data.reason ?? '').slice(0, 200)}`;
    default:
      return event.data === undefined ? '' : JSON.stringify(maskSecrets(event.data)).slice(0, 200);
  }
}
