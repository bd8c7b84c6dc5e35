// @internal Tool-name patterns with `*` and `?`, as `--hide`, `--buffer` and their options take.

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** A pattern with `*` (any run) and `?` (one character) as a whole-name matcher. */
export function toolPattern(pattern: string): RegExp {
  const body = escapeRegExp(pattern).replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
