import { maskSecrets, maskText } from './maskSecrets.js';
import type { ToolflightEvent } from './types.js';

/** Masked first, cut second: a cut must not leave part of a secret too short to recognize. */
const clip = (text: string, max = 200): string => maskText(text).slice(0, max);

/**
 * A one-line summary of an event's payload for people (the demo's timeline, the inspector's,
 * `toolflight replay`), with secrets masked by key and by value (see `maskSecrets` and
 * `maskText`): `send {"to":"#ops","apiKey":"••••••"}`, `completed`, `status 200`. Outbox
 * idempotency keys are shown: `toolflight outbox retry` needs them.
 */
export function summarizeEvent(event: ToolflightEvent): string {
  switch (event.type) {
    case 'toolCall.started':
    case 'toolCall.prepared':
      return `${event.data.toolName} ${JSON.stringify(maskSecrets(event.data.args))}`;
    case 'toolCall.result':
      return `${event.data.outcome}${event.data.reason ? ` (${maskText(event.data.reason)})` : ''}`;
    case 'toolCall.finished':
      return `prepared=${event.data.prepared}`;
    case 'request.started':
      return '';
    case 'request.classified':
      return event.data.method ?? '';
    case 'request.finished':
      return event.data.status === undefined ? 'connection dropped' : `status ${event.data.status}`;
    case 'observer.failed':
      return `${event.data.hook}: ${maskText(event.data.message)}`;
    case 'catalog.listed':
      return `${event.data.server}: ${event.data.tools.length} tool(s)${event.data.kept === true ? ' (kept copy)' : ''}`;
    case 'upstream.changed': {
      const { server, state, reason, retryInMs, stderr } = event.data;
      if (stderr !== undefined) return `${server} stderr: ${clip(stderr)}`;
      const retry = retryInMs === undefined ? '' : `, retry in ${retryInMs} ms`;
      return `${server} ${state}${reason === undefined ? '' : ` (${clip(reason)})`}${retry}`;
    }
    case 'outbox.enqueued':
    case 'outbox.delivered':
      return `${event.data.tool} key=${event.data.key}`;
    case 'outbox.rejected':
      return `${event.data.tool} key=${event.data.key}: ${clip(event.data.reason ?? '')}`;
    case 'agent.asked':
      return `${event.data.method} waits on the agent${event.data.toolCall === undefined ? '' : ` (call ${event.data.toolCall})`}`;
    case 'agent.answered':
      return `${event.data.method} answered${event.data.error === undefined ? '' : `: ${clip(event.data.error)}`}`;
    case 'gateway.configured':
      return `${event.data.servers.length} server(s): ${event.data.servers.map((s) => s.name).join(', ')}`;
    case 'log.gap':
      return `seq ${event.seq} to ${event.data.through} not recorded: ${clip(event.data.reason)}`;
    default:
      return event.data === undefined ? '' : JSON.stringify(maskSecrets(event.data)).slice(0, 200);
  }
}
