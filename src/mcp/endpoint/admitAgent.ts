// @internal Who sent an agent's request and which capture it acts under: the checks every MCP
// endpoint makes before the body, then a credential bound to one capture. The loopback server
// and the proxy admit agents only through here, so that both refuse the same way.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { CaptureClaim, CaptureCredentials } from './captureCredentials.js';
import { CAPTURE_HEADER, MCP_PATH } from './Endpoint.js';
import { admitRequest, refuse } from './httpGate.js';

/** What one endpoint admits agents with. */
export interface AgentGate<R extends string> {
  /** Accepted `Host` header values, lower case. */
  readonly hosts: ReadonlySet<string>;
  readonly credentials: CaptureCredentials<R>;
  /** Whether the endpoint has sessions, which a `DELETE` ends. Default false. */
  readonly endsSessions?: boolean;
}

/**
 * The capture key an `x-toolflight-capture-key` header names. Node reads header bytes as
 * latin1; agents send the key as UTF-8.
 */
const headerKey = (value: string): string => Buffer.from(value, 'latin1').toString('utf8').trim();

/**
 * Admit a `GET` or `POST` of an agent, or answer the refusal and return undefined: the gate's
 * (403 Host or Origin, 404, 405, 401 for a credential this server did not mint), then 403 when
 * an `x-toolflight-capture-key` header names another capture than the credential. The header
 * is redundant with the credential; it stays accepted when it agrees, so older agent configs
 * that still send it keep working.
 */
export function admitAgent<R extends string>(
  gate: AgentGate<R>,
  req: IncomingMessage,
  res: ServerResponse,
): CaptureClaim<R> | undefined {
  const rules = {
    hosts: gate.hosts,
    path: MCP_PATH,
    authorize: (header: string | undefined) => gate.credentials.verify(header),
    sessions: gate.endsSessions === true,
  };
  const claim = admitRequest(rules, req, res);
  if (claim === undefined) return undefined;
  const header = req.headers[CAPTURE_HEADER];
  const agrees =
    header === undefined ||
    header === claim.capture ||
    (typeof header === 'string' && headerKey(header) === claim.capture);
  if (!agrees) {
    refuse(
      req,
      res,
      403,
      `Forbidden: this credential admits capture ${JSON.stringify(claim.capture)} only, and the ${CAPTURE_HEADER} header names another: drop the header (the credential names the capture), or use the credential the host minted for that capture`,
    );
    return undefined;
  }
  return claim;
}
