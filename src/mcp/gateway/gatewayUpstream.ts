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

/**
 * A fingerprint of an upstream given in code: what it starts (command, arguments, folder, URL)
 * and the names of its variables and headers, not their values: a rotated secret leaves its
 * catalog current, and no secret goes into the hash.
 */
export function upstreamFingerprint(upstream: ProxyUpstream): string {
  const names = (record: Readonly<Record<string, string>> | undefined) =>
    record === undefined ? undefined : Object.keys(record).sort();
  const what = isHttpUpstream(upstream)
    ? { transport: 'http', url: upstream.url, headers: names(upstream.headers) }
    : {
        transport: 'stdio',
        command: upstream.command,
        args: upstream.args,
        cwd: upstream.cwd,
        env: names(upstream.env),
        shared: upstream.shared,
      };
  return (
    createHash('sha256')
      // Through JSON first: undefined fields drop out.
      .update(canonicalJson(JSON.parse(JSON.stringify(what))))
      .digest('hex')
      .slice(0, 16)
  );
}

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
    // A fresh list was made under this configuration; a kept one (an outbox's, from an earlier
    // run) may come from another, so it carries no fingerprint and reads as stale until listed.
    const notice = (value: ProxyNotice): void =>
      options.notice(
        value.type === 'catalog.listed' && value.data.kept !== true
          ? { ...value, data: { ...value.data, config } }
          : value,
      );
    this.unit = new UpstreamUnit(
      {
        ...options,
        // The upstream as given (a class's methods stay its own), named after the server.
        upstream: server.upstream,
        name,
        outbox: server.outbox,
        // The gateway narrows over its own names, across servers; a server's catalog keeps all.
        narrow: undefined,
        context: undefined,
        notice,
      },
      notices,
    );
    // A server with an outbox starts with the gateway: what was queued in an earlier run is
    // delivered without waiting for an agent to need the server (as the proxy's outbox does).
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
