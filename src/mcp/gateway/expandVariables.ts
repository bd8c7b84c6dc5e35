// @internal `${VAR}` and `${VAR:-default}` in an `mcpServers` entry, as Claude Code writes them,
// and `${env:VAR}`, as Cursor and VS Code write the same thing: the syntax is checked when the
// config is read, the values are taken only when a server is resolved to start (a config is
// read without the secrets it names).

/** A placeholder: `${` up to the first `}`. Anything else (`$VAR`, a lone `${`) is literal text. */
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT = ':-';

/** How a placeholder is written: `${NAME}` or `${NAME:-default}`. */
const SYNTAX = 'write ${NAME}, ${env:NAME} or ${NAME:-default}';

/** Cursor's and VS Code's spelling of an environment variable. */
const ENV_PREFIX = 'env:';

function split(body: string): { name: string; fallback: string | undefined } {
  const at = body.indexOf(DEFAULT);
  const name = at < 0 ? body : body.slice(0, at);
  return {
    name: name.startsWith(ENV_PREFIX) ? name.slice(ENV_PREFIX.length) : name,
    fallback: at < 0 ? undefined : body.slice(at + DEFAULT.length),
  };
}

/**
 * What is wrong with the placeholders in `text`, or undefined. Never quotes a default, which
 * may be a secret written in place.
 */
export function placeholderProblem(text: string): string | undefined {
  if (!text.includes('${')) return undefined;
  for (const [, body = ''] of text.matchAll(PLACEHOLDER)) {
    const { name, fallback } = split(body);
    if (name === '') return `a \${…} names no variable: ${SYNTAX}`;
    if (!NAME.test(name)) {
      const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
      // VS Code's `${input:id}`, `${config:…}`: another tool's syntax, worth naming.
      const vscode = /^(input|config|command):/.test(name)
        ? ` (VS Code's \${${name.slice(0, name.indexOf(':'))}:…} is not expanded here)`
        : '';
      return `${shown} is not a variable name${vscode}: a name is letters, digits and _, not starting with a digit; ${SYNTAX}`;
    }
    if (fallback?.includes('${')) {
      return `the default of \${${name}:-…} holds another variable: defaults are plain text, one level only`;
    }
  }
  return undefined;
}

/**
 * `text` with its placeholders replaced from `env` (`:-`: the default when the variable is unset
 * or empty, as in a shell), the names of the variables it needed that are not set, and the
 * values it took from `env`. One level: a value that holds `${…}` goes in as it is.
 */
export function expandVariables(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { value: string; missing: readonly string[]; substituted: readonly string[] } {
  if (!text.includes('${')) return { value: text, missing: [], substituted: [] };
  const missing: string[] = [];
  // The values that came from the environment (a default is the file's own text): whatever the
  // child says or an error quotes is masked of them, as of a token.
  const substituted: string[] = [];
  const value = text.replace(PLACEHOLDER, (whole, body: string) => {
    const { name, fallback } = split(body);
    // Own properties only: `${constructor}` is not a property of the environment object.
    const set = Object.hasOwn(env, name) ? env[name] : undefined;
    if (fallback !== undefined && (set === undefined || set === '')) return fallback;
    if (set !== undefined) {
      substituted.push(set);
      return set;
    }
    if (!missing.includes(name)) missing.push(name);
    return whole;
  });
  return { value, missing, substituted };
}
