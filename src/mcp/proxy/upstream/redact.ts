// @internal What the upstream says goes to agents, log lines and events, and an upstream may
// echo what it was sent: a 400 that quoted the request's headers put the proxy's own
// `Authorization: Bearer …` into an agent's error. `redact` takes out the credentials the proxy
// holds: the literal ones it sent (the upstream token, a child's secret environment values),
// and whatever `maskText` recognizes (`Bearer …`, `Authorization: …`, the `tf1.` credentials
// the proxy mints for agents, `TOKEN=…`, well-known token shapes).
import { MASK, maskText } from '../../../events/maskSecrets.js';

/** Shorter than this, a "secret" is no secret worth the text it would mangle. */
const MIN_SECRET_LENGTH = 4;

/** `text` with each of `secrets` (the literal values the proxy sent) and every credential shape masked. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) {
      out = out.replaceAll(secret, MASK);
    }
  }
  return maskText(out);
}

/**
 * A JSON value redacted as its JSON text is: the value itself when nothing was masked, else the
 * masked text parsed back, or {@link MASK} when masking left no JSON (or it cannot be written).
 */
function redactJson(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  try {
    const json = JSON.stringify(value);
    const clean = redact(json, secrets);
    return clean === json ? value : (JSON.parse(clean) as unknown);
  } catch {
    return MASK;
  }
}

/** The JSON-RPC error an upstream answered, with its `message` and `data` redacted. */
export function redactError<T extends { readonly message: string; readonly data?: unknown }>(
  error: T,
  secrets: readonly (string | undefined)[],
): T {
  const message = redact(error.message, secrets);
  const data = error.data === undefined ? undefined : redactJson(error.data, secrets);
  if (message === error.message && data === error.data) return error;
  return { ...error, message, ...(data === undefined ? {} : { data }) };
}
