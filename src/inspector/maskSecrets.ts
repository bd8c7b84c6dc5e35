// Moved to the core (src/events/maskSecrets.ts); this path stays until its last importer moves.
export { isSecretKey, MASK, maskSecrets } from '../events/maskSecrets.js';
