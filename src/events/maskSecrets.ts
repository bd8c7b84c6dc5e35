// What toolflight shows a person never carries a secret: JSON values are masked by key (the words
// of the key) and every string, free text included, by value (credential-shaped text). Pure and
// core-safe: no `node:` import, no state but a bounded cache of key verdicts.

/** What a masked value is shown as. */
export const MASK = '••••••';

/** Words that make a key secret wherever they stand (unless a metadata word ends the key). */
const SECRET_WORDS = new Set([
  'auth',
  'authorization',
  'bearer',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'jwt',
  'oauth',
  'otp',
  'passphrase',
  'passwd',
  'password',
  'passwords',
  'pat',
  'pwd',
  'secret',
  'secrets',
  'session',
  'sessionid',
  'token',
]);

/** Run-together words that end like a secret: `accesstoken`, `clientsecret`, `dbpassword`. */
const SECRET_ENDINGS =
  /(?:token|secret|password|passwd|passphrase|credentials?|auth|authorization)$/;

/** Words that make a following `key` secret: `apiKey`, `private_key`, `x-api-key`, `apikey`. */
const KEY_QUALIFIERS = new Set([
  'access',
  'account',
  'admin',
  'api',
  'app',
  'auth',
  'client',
  'consumer',
  'decryption',
  'deploy',
  'encryption',
  'gpg',
  'hmac',
  'license',
  'master',
  'pgp',
  'private',
  'root',
  'secret',
  'service',
  'session',
  'shared',
  'signing',
  'ssh',
  'storage',
  'webhook',
]);

/** Words that make a following `tokens` secret (`accessTokens`); alone it is a count. */
const TOKEN_OWNERS = new Set([
  'access',
  'api',
  'auth',
  'bearer',
  'id',
  'oauth',
  'refresh',
  'session',
]);

/** Last words that make a key describe a secret rather than hold one: `tokenCount`, `authUrl`. */
const METADATA_WORDS = new Set([
  'at',
  'budget',
  'count',
  'counts',
  'domain',
  'enabled',
  'endpoint',
  'env',
  'error',
  'exp',
  'expiration',
  'expires',
  'expiry',
  'field',
  'file',
  'format',
  'host',
  'id',
  'ids',
  'in',
  'kind',
  'label',
  'len',
  'length',
  'limit',
  'limits',
  'max',
  'method',
  'methods',
  'min',
  'mode',
  'ms',
  'name',
  'names',
  'path',
  'policy',
  'prefix',
  'provider',
  'ref',
  'remaining',
  'required',
  'scheme',
  'scope',
  'scopes',
  'seconds',
  'size',
  'status',
  'strategy',
  'timeout',
  'total',
  'ttl',
  'type',
  'types',
  'uri',
  'url',
  'usage',
  'used',
  'var',
  'version',
]);

// camelCase, PascalCase with acronyms (`APIKey`), snake_case, kebab-case, UPPER_CASE, dotted.
const WORD_BOUNDARY =
  /[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/;

function isSecretWord(words: readonly string[], index: number): boolean {
  const word = words[index]!;
  const before = words[index - 1];
  if (SECRET_WORDS.has(word)) return true;
  if (word === 'key' || word === 'keys') return before !== undefined && KEY_QUALIFIERS.has(before);
  if (word === 'tokens') return before !== undefined && TOKEN_OWNERS.has(before);
  if (word === 'id') return before === 'session';
  if (SECRET_ENDINGS.test(word)) return true;
  const stem = word.endsWith('keys')
    ? word.slice(0, -4)
    : word.endsWith('key')
      ? word.slice(0, -3)
      : '';
  return KEY_QUALIFIERS.has(stem);
}

function classifyKey(key: string): boolean {
  const words = key
    .split(WORD_BOUNDARY)
    .filter((word) => word !== '' && !/^[0-9]+$/.test(word))
    .map((word) => word.toLowerCase());
  const last = words.length - 1;
  if (last < 0) return false;
  if (isSecretWord(words, last)) return true;
  // English compounds end in their head: a `token_count` is a count, not a token.
  if (METADATA_WORDS.has(words[last]!)) return false;
  for (let index = 0; index < last; index++) if (isSecretWord(words, index)) return true;
  return false;
}

// Keys repeat across events (the page masks every event): remember verdicts, within bounds.
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

/**
 * True when a value under this key should not be shown: its words (camelCase, snake_case,
 * kebab-case and UPPER_CASE are split) name a credential. `apiKey`, `x-api-key`, `GITHUB_PAT`,
 * `client_secret`, `sessionToken`, `pwd` are secret; `max_tokens`, `monkey`, `keyboard`,
 * `idempotencyKey`, `tokenCount` are not.
 */
export function isSecretKey(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = classifyKey(key);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

const SCHEME = '(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|TOKEN|[Dd]igest|DIGEST)[ \\t]+';
// Every alternative starts only where its run of characters starts (a negative lookbehind of its
// own class) and has no nested quantifier, so one pass over the text is linear in its length.
const SECRET_TEXT = new RegExp(
  [
    // A private key block (its end is found by indexOf, not by the regex).
    '(?<pem>-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)',
    // URL user-info: `https://user:pass@host` keeps the user.
    '(?<url>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#@:]*:)(?<urlSecret>[^\\s/?#@]+)(?=@)',
    // An HTTP header line that carries a credential, to the end of the line.
    `(?<header>(?<![A-Za-z0-9_-])(?:[Pp]roxy-|PROXY-)?(?:[Aa]uthorization|AUTHORIZATION|(?:[Ss]et-|SET-)?(?:[Cc]ookie|COOKIE))[ \\t]*:[ \\t]*(?:${SCHEME})?)(?<headerSecret>[^\\r\\n"\\\\]+)`,
    // `Bearer …`, `Basic …` anywhere (checked in code: prose like "Bearer tokens" is left).
    '(?<bearer>(?<![A-Za-z0-9_-])(?:[Bb]earer|BEARER)[ \\t]+)(?<bearerSecret>[A-Za-z0-9._~+/-]+=*)',
    '(?<basic>(?<![A-Za-z0-9_-])(?:[Bb]asic|BASIC)[ \\t]+)(?<basicSecret>[A-Za-z0-9+/]{4,}={0,2})',
    // Well-known token shapes: toolflight's own agent credentials (`tf1.<role>.<capture>.<mac>`),
    // GitHub, Slack, OpenAI/Anthropic, Stripe, npm, GitLab, Google, AWS, JWT.
    '(?<shape>(?<![A-Za-z0-9_-])(?:tf1\\.[a-z]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])|eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*))',
    // `--password hunter2`, `--token=…`, `NAME=value`, `NAME: value`, `"NAME": "value"`: only the
    // name and separator here; the value is read (by SECRET_VALUE) once the name proved secret,
    // so that the value of a name that is not secret is never scanned twice.
    '(?<flag>(?<![A-Za-z0-9_-])--[A-Za-z][A-Za-z0-9-]*[ =])',
    `(?<name>(?<![A-Za-z0-9_.-])[A-Za-z_][A-Za-z0-9_.-]*)(?<sep>\\\\?["']?[ \\t]*[=:][ \\t]*)`,
  ].join('|'),
  'g',
);

/**
 * The value after a secret name: quoted (to the closing quote), or one word (to a space, a
 * quote, `&;,` or a closing bracket: `(TOKEN=abc)`), maybe after `Bearer `.
 */
const SECRET_VALUE = new RegExp(
  `(?<dq>\\\\?")[^"\\\\\\r\\n]+|(?<sq>\\\\?')[^'\\\\\\r\\n]+|(?<scheme>${SCHEME})?[^\\s"'&;,)\\]}<>\\\\]+`,
  'y',
);

const SHAPE_PREFIX =
  /^(?:tf1\.|gh[pousr]_|github_pat_|xox[a-z]-|xapp-|sk-(?:ant-|proj-)?|[sr]k_(?:live|test)_|npm_|glpat-|AIza|AKIA|ASIA|eyJ)/;

/** A `Basic` credential is base64 of `user:password`; anything else is a word of prose. */
function isBasicCredential(text: string): boolean {
  try {
    return atob(text).includes(':');
  } catch {
    return false;
  }
}

/** Skip (no match) or replace the match with `keep` + the mask, ending at `end`. */
type Verdict = { readonly keep: string; readonly end: number } | { readonly skip: number };

function judge(match: RegExpExecArray, text: string): Verdict {
  const groups = match.groups!;
  const start = match.index;
  const end = start + match[0].length;
  if (groups.pem !== undefined) {
    const close = text.indexOf('-----END ', end);
    // No end marker (a truncated line, say): everything after BEGIN is the key.
    return { keep: groups.pem, end: close < 0 ? text.length : close };
  }
  if (groups.url !== undefined) return { keep: groups.url, end };
  if (groups.header !== undefined) return { keep: groups.header, end };
  if (groups.bearer !== undefined) {
    const secret = groups.bearerSecret!;
    return /^[a-z]+$/.test(secret) && secret.length < 24
      ? { skip: start + groups.bearer.length }
      : { keep: groups.bearer, end };
  }
  if (groups.basic !== undefined) {
    return isBasicCredential(groups.basicSecret!)
      ? { keep: groups.basic, end }
      : { skip: start + groups.basic.length };
  }
  if (groups.shape !== undefined) {
    return { keep: SHAPE_PREFIX.exec(groups.shape)?.[0] ?? '', end };
  }
  const name = groups.flag === undefined ? groups.name! : groups.flag.slice(2, -1);
  const head = groups.flag ?? name + groups.sep!;
  if (!isSecretKey(name)) return { skip: start + (groups.flag?.length ?? name.length) };
  SECRET_VALUE.lastIndex = end;
  const value = SECRET_VALUE.exec(text);
  // `--password --verbose`: the next flag is not the password.
  if (value === null || (groups.flag !== undefined && value[0].startsWith('-'))) {
    return { skip: start + head.length };
  }
  const opening = value.groups!.dq ?? value.groups!.sq ?? value.groups!.scheme ?? '';
  // Prose, not a setting: `no token: set it`, `the password: see the vault`. An unquoted
  // `NAME: word` whose word is a short one of letters only is left, as for `Bearer tokens`.
  const prose =
    groups.flag === undefined &&
    opening === '' &&
    /^[ \t]*:[ \t]+$/.test(groups.sep!) &&
    /^[A-Za-z]{1,12}$/.test(value[0]);
  if (prose) return { skip: start + head.length };
  return { keep: head + opening, end: end + value[0].length };
}

/**
 * Free text with every credential-shaped part replaced by {@link MASK}: `Bearer`/`Basic`
 * credentials, `Authorization:`/`Cookie:` header values, URL user-info passwords,
 * `NAME=value`/`NAME: value`/`--name value` where NAME is a secret name (see
 * {@link isSecretKey}), well-known token shapes (the agent credentials toolflight mints, `tf1.…`,
 * GitHub `ghp_`/`github_pat_`, Slack `xox?-`, AWS `AKIA…`, JWTs, OpenAI/Anthropic `sk-…`,
 * Stripe, npm, GitLab, Google API keys) and private key blocks. Linear in the text's length.
 *
 * @example
 * maskText('retrying with TOKEN=abc123 at https://bot:hunter2@relay'); // 'retrying with TOKEN=•••••• at https://bot:••••••@relay'
 */
export function maskText(text: string): string {
  let out = '';
  let copied = 0;
  SECRET_TEXT.lastIndex = 0;
  for (let match = SECRET_TEXT.exec(text); match !== null; match = SECRET_TEXT.exec(text)) {
    const verdict = judge(match, text);
    if ('skip' in verdict) {
      SECRET_TEXT.lastIndex = verdict.skip;
      continue;
    }
    out += text.slice(copied, match.index) + verdict.keep + MASK;
    copied = verdict.end;
    SECRET_TEXT.lastIndex = verdict.end;
    if (verdict.end >= text.length) break;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// Deeper than this, a value is not inspected but hidden: masking must not overflow the stack.
const MAX_DEPTH = 64;

/**
 * A copy of a JSON value with the value of every secret key ({@link isSecretKey}), at any depth,
 * replaced by {@link MASK} (null, undefined and booleans are kept: they carry no secret), and
 * every other string passed through {@link maskText}. Keys are kept. The input is not changed.
 *
 * @example
 * maskSecrets({ to: '#ops', apiKey: 'sk-1', max_tokens: 5 }); // { to: '#ops', apiKey: '••••••', max_tokens: 5 }
 */
export function maskSecrets<T>(value: T): T {
  return mask(value, 0) as T;
}

function mask(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((item) => mask(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const hidden =
      isSecretKey(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean';
    // `__proto__` as an own key must stay data, not become the copy's prototype.
    Object.defineProperty(out, key, {
      value: hidden ? MASK : mask(inner, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
