import { customAlphabet } from 'nanoid';

import type { IdSource } from './ids.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random ids such as `tc_4f9QxK2mWp`, for logs that several processes write or that are merged.
 *
 * Lives outside the core because it reads a random source; pass it as `createTracker({ ids })`.
 */
export function randomIds(size = 10): IdSource {
  const next = customAlphabet(ALPHABET, size);
  return (kind) => `${kind}_${next()}`;
}
