import { setMaxListeners } from 'node:events';

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** An SDK client transport to a proxy or gateway with a credential (it names the capture: no header). */
export function agentTransport(url: string, credential: string): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${credential}` } },
    fetch: (input, init) => {
      if (init?.signal) setMaxListeners(0, init.signal);
      return fetch(input, init);
    },
  });
}
