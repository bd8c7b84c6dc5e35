/** Keys whose values the inspector hides: anything that looks like a credential. */
const SECRET_KEY = /token|authorization|password|passwd|secret|key|cookie|credential/i;

/** What a masked value is shown as. */
export const MASK = '••••••';

/** True when a value under this key should not be shown. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of a JSON value with the value of every secret-looking key (token, authorization,
 * password, secret, key, …), at any depth, replaced by {@link MASK}. The input is not changed.
 *
 * @example
 * maskSecrets({ to: '#ops', apiKey: 'sk-1' }); // { to: '#ops', apiKey: '••••••' }
 */
export function maskSecrets<T>(value: T): T {
  return mask(value) as T;
}

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSecretKey(key) && inner !== null && inner !== undefined ? MASK : mask(inner);
  }
  return out;
}
