// @internal One server of a gateway: the proxy's per-upstream machinery (`UpstreamUnit`) under
// the server's name, started on first use, its catalog noted with the fingerprint of its
// configuration.
import { createHash } from 'node:crypto';

import type { ProxyNotice } from '../proxy/Proxy.js';
import type { ProxyUpstream } from '../proxy/upstream/Upstream.js';
import { isHttpUpstream } from '../proxy/upstream/upstreamTransport.js';
import { UpstreamUnit, type UnitOptions } from '../proxy/upstreamUnit.js';
import type { GatewayServer } from './Gateway.js';
import { canonicalJson } from './mcpServersConfig.js';

/** A fingerprint of an upstream given in code: its fields, without functions (a token getter). */
export const upstreamFingerprint = (upstream: ProxyUpstream): string =>
  createHash('sha256')
    // Through JSON first: functions (a token getter) and undefined fields drop out.
    .update(canonicalJson(JSON.parse(JSON.stringify(upstream))))
    .digest('hex')
    .slice(0, 16);

/** One server behind the gateway. */
export class GatewayUpstream {
  readonly unit: UpstreamUnit<undefined>;
  readonly transport: 'stdio' | 'http';
  /** What its names start with, where it is not its name (`GatewayServer.prefix`). */
  readonly prefix: string | undefined;
  /** Whether anything ever needed this server (it starts lazily). */
  #used = false;

  constructor(
    readonly name: string,
    server: GatewayServer,
    /** The fingerprint of its configuration. */
    readonly config: string,
    options: Omit<UnitOptions<undefined>, 'upstream' | 'outbox' | 'narrow' | 'context'>,
    notices: ConstructorParameters<typeof UpstreamUnit>[1],
  ) {
    this.transport = isHttpUpstream(server.upstream) ? 'http' : 'stdio';
    this.prefix = server.prefix;
    const notice = (value: ProxyNotice): void =>
      options.notice(
        value.type === 'catalog.listed' ? { ...value, data: { ...value.data, config } } : value,
      );
    this.unit = new UpstreamUnit(
      {
        ...options,
        upstream: { ...server.upstream, name },
        outbox: server.outbox,
        // The gateway narrows over its own names, across servers; a server's catalog keeps all.
        narrow: undefined,
        context: undefined,
        notice,
      },
      notices,
    );
    // A kept catalog means an earlier run used the server: its link starts as for any use.
    if (this.unit.outbox) this.use();
  }

  get used(): boolean {
    return this.#used;
  }

  /** Something needs this server: its own link connects (once), and lists when it is up. */
  use(): void {
    if (this.#used) return;
    this.#used = true;
    void this.unit.link.ensure().catch(() => undefined);
  }
}
