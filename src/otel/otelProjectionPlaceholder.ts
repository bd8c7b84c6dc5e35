// PLACEHOLDER on branch otel-cli, so that the CLI compiles: the real projection is built on its
// own branch and replaces this file at merge (delete it; `index.ts` then exports the real one).
// Not `otelProjection.ts`: beside `OtelProjection.ts` that name differs only in case, which tsc
// refuses (forceConsistentCasingInFileNames) and a case-insensitive disk cannot hold.
import type { OtelProjection, OtelProjectionOptions } from './OtelProjection.js';

/** Placeholder: no spans, no metrics; `done` settles at once. */
export function otelProjection(_options: OtelProjectionOptions): OtelProjection {
  return { done: Promise.resolve(), openSpans: () => 0, close: () => undefined };
}
