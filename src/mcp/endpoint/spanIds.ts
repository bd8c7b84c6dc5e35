// @internal Fresh W3C trace and span ids for the spans an endpoint opens (random, as the W3C
// rules ask: the log keeps them, so a replay needs no random source).
import { randomFillSync } from 'node:crypto';

/** Random bytes drawn a page at a time: one system call per 256 span ids, not one per id. */
const pool = Buffer.alloc(4096);
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
let used = pool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const hex = pool.toString('hex', used, used + bytes);
    used += bytes;
    // All zeros is not a valid id (1 in 2^64 for a span): draw again.
    if (hex !== (bytes === 16 ? ZERO_TRACE : ZERO_SPAN)) return hex;
  }
}

/** 32 lowercase hex digits. */
export const newTraceId = (): string => randomHex(16);
/** 16 lowercase hex digits. */
export const newSpanId = (): string => randomHex(8);
