// PLACEHOLDER on branch otel-cli, so that the CLI compiles: the real projection is built on its
// own branch and replaces this file at merge (delete it; `index.ts` then exports the real one).
// Not `otelProjection.ts`: beside `OtelProjection.ts` that name differs only in case, which tsc
// refuses (forceConsistentCasingInFileNames) and a case-insensitive disk cannot hold.
import type { OtelProjection, OtelProjectionOptions } from './OtelProjection.js';

/** Placeholder: reads a recording to its end and makes no span or metric of it. */
export function otelProjection(options: OtelProjectionOptions): OtelProjection {
  const { source } = options;
  const read = async () => {
    if (!(Symbol.asyncIterator in source || Symbol.iterator in source)) return;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    for await (const _event of source);
  };
  return { done: read(), openSpans: () => 0, close: () => undefined };
}
