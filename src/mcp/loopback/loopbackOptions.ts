// @internal The options of `createLoopbackServer`, checked with errors that say what to pass
// instead, and the listen step.
import type { Server as HttpServer } from 'node:http';

import { asyncScheduler, type SchedulerLike } from 'rxjs';

import {
  loopbackAddress,
  nonLoopbackMessage,
  type LoopbackAddress,
} from '../../http/loopbackHosts.js';
import { LoopbackError } from './LoopbackError.js';
import type { BeforeToolCallHook, LoopbackServerOptions } from './LoopbackServer.js';

/** The address to bind for a `host` option; throws for anything but loopback. */
export function bindAddress(host: string | undefined): LoopbackAddress {
  const address = loopbackAddress(host);
  if (address === undefined) {
    throw new LoopbackError('non_loopback_host', nonLoopbackMessage('the loopback server', host));
  }
  return address;
}

/** The scheduler option, or RxJS `asyncScheduler` when not given. */
export function timerScheduler(scheduler: SchedulerLike | undefined): SchedulerLike {
  if (scheduler === undefined) return asyncScheduler;
  if (typeof scheduler?.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new LoopbackError(
      'invalid_option',
      'scheduler must be an RxJS scheduler (asyncScheduler, or a VirtualTimeScheduler in tests): leave it out for real time',
    );
  }
  return scheduler;
}

const isHookList = (value: unknown): value is readonly BeforeToolCallHook[] =>
  Array.isArray(value) && value.every((hook: unknown) => typeof hook === 'function');

/** The hooks option as a list; throws for anything but a function or a list of functions. */
export function beforeToolCallHooks(hooks: unknown): readonly BeforeToolCallHook[] {
  const list = hooks === undefined ? [] : typeof hooks === 'function' ? [hooks] : hooks;
  if (!isHookList(list)) {
    throw new LoopbackError(
      'invalid_option',
      'hooks.beforeToolCall must be a function or an array of functions',
    );
  }
  return [...list];
}

/** Listen on `address:port`; resolves with the port bound, or rejects with `listen_failed`. */
export function listen(server: HttpServer, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
      const hint =
        port === 0
          ? ': check that the loopback interface is up'
          : ': free the port or pass port 0 for any free one';
      reject(
        new LoopbackError('listen_failed', `cannot listen on ${where} (${error.message})${hint}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ port, host: address, exclusive: true }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

/** The port option: 0 (default) for a free one. */
export function portOf(port: unknown): number {
  const value = port ?? 0;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new LoopbackError(
      'invalid_option',
      `port must be an integer 0..65535, got ${String(port)}`,
    );
  }
  return value as number;
}

/** Whether POST answers are plain JSON (default) or always an event stream. */
export function jsonResponseOf(mode: LoopbackServerOptions['responseMode']): boolean {
  const responseMode = mode ?? 'json';
  if (responseMode !== 'json' && responseMode !== 'sse') {
    throw new LoopbackError(
      'invalid_option',
      `responseMode must be "json" or "sse", got ${String(responseMode)}`,
    );
  }
  return responseMode === 'json';
}
