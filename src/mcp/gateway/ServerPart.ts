import type { SessionTools } from '../proxy/sessionTools.js';
import type { SessionLink } from '../proxy/upstream/upstreamLink.js';
import type { GatewayUpstream } from './gatewayUpstream.js';

/**
 * @internal One server's part of a gateway agent session: that server's own upstream session
 * (or child) for this agent, and the tools it listed to it.
 */
export interface ServerPart {
  readonly server: GatewayUpstream;
  readonly link: SessionLink;
  readonly tools: SessionTools;
}
