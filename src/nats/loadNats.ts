// @internal The NATS client, an optional peer: `@nats-io/transport-node` and
// `@nats-io/jetstream` are loaded on first use, with an error that names what to install.
import type * as Transport from '@nats-io/transport-node';
import type * as JetStream from '@nats-io/jetstream';

import { ToolflightError, messageOf } from '../errors.js';

/** The packages and the range toolflight supports. */
export const NATS_PEERS = ['@nats-io/transport-node', '@nats-io/jetstream'] as const;
const RANGE = '^3';
const INSTALL = `npm install ${NATS_PEERS.map((name) => `${name}@${RANGE}`).join(' ')}`;

/** Whether `error` says that `name` itself is not installed (not one of its own imports). */
const isAbsent = (error: unknown, name: string): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    messageOf(error).includes(`'${name}'`)
  );
};

/** @internal The two loaded modules. */
export interface NatsModules {
  readonly transport: typeof Transport;
  readonly jetstream: typeof JetStream;
}

let loaded: Promise<NatsModules> | undefined;

/**
 * @internal Load the NATS client; rejects with `ToolflightError` `missing_peer`, naming
 * `feature` and the command to run, when either package is absent or does not load.
 */
export function loadNats(feature: string): Promise<NatsModules> {
  loaded ??= (async () => {
    const results = await Promise.allSettled([
      import('@nats-io/transport-node'),
      import('@nats-io/jetstream'),
    ]);
    const failed = NATS_PEERS.flatMap((name, i) => {
      const result = results[i]!;
      return result.status === 'rejected' ? [{ name, error: result.reason as unknown }] : [];
    });
    if (failed.length > 0) {
      const names = failed.map(({ name }) => name).join(', ');
      const absent = failed.every(({ name, error }) => isAbsent(error, name));
      throw new ToolflightError(
        'missing_peer',
        absent
          ? `${feature} needs the optional peer dependenc${failed.length === 1 ? 'y' : 'ies'} ${names}, not installed: run \`${INSTALL}\``
          : `${feature} could not load ${names} (${messageOf(failed[0]!.error)}): run \`${INSTALL}\` again`,
        { cause: failed[0]!.error },
      );
    }
    const [transport, jetstream] = results as [
      PromiseFulfilledResult<NatsModules['transport']>,
      PromiseFulfilledResult<NatsModules['jetstream']>,
    ];
    return { transport: transport.value, jetstream: jetstream.value };
  })();
  // A failed load is tried again next time (the packages may have been installed since).
  loaded.catch(() => (loaded = undefined));
  return loaded;
}
