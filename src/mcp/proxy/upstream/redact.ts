// @internal What the upstream says goes to agents, log lines and events, and an upstream may
// echo what it was sent: a 400 that quoted the request's headers put the proxy's own
// `Authorization: Bearer …` into an agent's error. `redact` takes out the credentials the proxy
// holds: the literal ones it sent (the upstream token, a child's secret environment values),
// and whatever `maskText` recognizes (`Bearer …`, `Authorization: …`, the `tf1.` credentials
// the proxy mints for agents, `TOKEN=…`, well-known token shapes). What the upstream answers
// and notifies otherwise (a result, a log line) is the agent's data: only the proxy's own literal
// secrets are taken out of it (`redactSecretsInJson`), nothing that merely looks like one.
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

/** The ways `secret` can stand in JSON text: escaped as `JSON.stringify` does, and with `\/`. */
function jsonForms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return escaped.includes('/') ? [escaped, escaped.replaceAll('/', '\\/')] : [escaped];
}

function withoutIn(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, MASK);
    return out;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => withoutIn(item, secrets));
    return items.some((item, n) => item !== value[n]) ? items : value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const cleanKey = withoutIn(key, secrets) as string;
    const cleanItem = withoutIn(item, secrets);
    if (cleanKey !== key || cleanItem !== item) changed = true;
    return [cleanKey, cleanItem] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/**
 * The proxy's own secrets (the upstream tokens a session sent, a child's secret environment
 * values, the values of an HTTP upstream's configured headers) to take out of every message the
 * upstream sends: results, notifications, requests. Those are the agent's data, so nothing else
 * in them changes, not even what looks like a credential. The ways each secret can stand in JSON
 * text are worked out once, when it is added: the check runs on every answer.
 */
export class MessageSecrets {
  /** Given at construction: always masked (configured values, which never rotate). */
  readonly #pinned: string[];
  /** Added since, the most recent `keep` of them. */
  #added: string[] = [];
  #values: string[];
  #forms: string[];

  /**
   * `pinned`: masked for as long as this lives; `keep`: how many of the secrets `add`ed later
   * are kept, the most recently added (a rotated token may still be quoted).
   */
  constructor(
    pinned: readonly string[] = [],
    private readonly keep = Number.POSITIVE_INFINITY,
  ) {
    this.#pinned = [...new Set(pinned.filter((value) => value.length >= MIN_SECRET_LENGTH))];
    this.#values = this.#pinned;
    this.#forms = this.#values.flatMap(jsonForms);
  }

  /** Mask `secret` too from now on (a secret shorter than 4 characters is none). */
  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.#added.at(-1) === secret) return;
    if (this.#pinned.includes(secret)) return;
    this.#added = [...this.#added.filter((value) => value !== secret), secret].slice(-this.keep);
    this.#values = [...this.#pinned, ...this.#added];
    this.#forms = this.#values.flatMap(jsonForms);
  }

  /**
   * Whether the JSON text of a message may hold one: a substring search per form (a `\u`
   * escape, which could spell one out, counts as maybe); false at once when there are none.
   */
  maybeIn(json: string): boolean {
    if (this.#forms.length === 0) return false;
    return json.includes('\\u') || this.#forms.some((form) => json.includes(form));
  }

  /** `value` with each secret masked wherever it stands in a string: `value` itself if none does. */
  outOf<T>(value: T): T {
    if (this.#values.length === 0) return value;
    try {
      return withoutIn(value, this.#values) as T;
    } catch {
      // Nested too deep to walk: as its text, which nothing sent on could write either.
      return redactJson(value, this.#values) as T;
    }
  }
}
