// @internal Span ids for entities whose log recorded none (a host that tracks requests itself, a
// tool call): a hash of where the entity stands in the log, so that a replay gives the same ids.
// Not cryptographic, and need not be: the ids must be stable and spread, not secret.

/** 32-bit FNV-1a of the text from `seed`, finished with murmur3's mix so every bit counts. */
function hash32(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

const hex8 = (value: number): string => value.toString(16).padStart(8, '0');

/** Lowercase hex of `words` hashes of the text; never all zero (W3C: an invalid id). */
function hexId(text: string, words: number, salt: number): string {
  let id = '';
  for (let word = 0; word < words; word++) id += hex8(hash32(text, salt + word * 0x9e3779b9));
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}

/** Where an entity stands in its log: capture key, generation, entity id and start time. */
export const entityKey = (capture: string, gen: number, id: string, at: number): string =>
  `${capture}\u0000${gen}\u0000${id}\u0000${at}`;

/** The trace id of an entity that starts a trace of its own. */
export const derivedTraceId = (key: string): string => hexId(key, 4, 0x1f0e);

/** The span id of an entity whose log recorded none. */
export const derivedSpanId = (key: string): string => hexId(key, 2, 0x5a17);
