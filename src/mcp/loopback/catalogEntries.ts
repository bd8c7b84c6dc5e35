// @internal What the tool, prompt and resource registries share: what each audience (owner,
// non-owner) is listed, a fingerprint to tell whether that changed, and the check that a listed
// entry is one an MCP client accepts.

/** Why a tool, prompt or resource does not resolve for a caller; both read the same to the agent. */
export type CatalogMiss = 'unknown' | 'owner_only';

/** Which audiences see a different list after a `set`. */
export interface AudiencesChanged {
  readonly owner: boolean;
  readonly nonOwner: boolean;
}

/** Whether a caller (`owner` or not) may see `definition`. */
export const visibleTo = (definition: { readonly ownerOnly?: boolean }, owner: boolean): boolean =>
  owner || definition.ownerOnly !== true;

/** What one audience is listed, and a fingerprint of it. */
export interface Audience<Entry> {
  readonly listed: readonly Entry[];
  /** Compared across `set` calls to decide whether `list_changed` is due. */
  readonly fingerprint: string;
}

/** The entries `owner` (or a non-owner) sees, described, in registration order. */
function audienceOf<Definition extends { readonly ownerOnly?: boolean }, Entry>(
  definitions: readonly Definition[],
  owner: boolean,
  describe: (definition: Definition) => Entry,
  key: (entry: Entry) => string,
): Audience<Entry> {
  const listed = definitions.filter((definition) => visibleTo(definition, owner)).map(describe);
  // Sorted by key so that reordering alone is not a change: a client's list is a set to it.
  const sorted = [...listed].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { listed, fingerprint: JSON.stringify(sorted) };
}

/** One kind of entry as the owner and a non-owner are listed it, replaced together. */
export class Listed<Definition extends { readonly ownerOnly?: boolean }, Entry> {
  #owner: Audience<Entry>;
  #nonOwner: Audience<Entry>;

  constructor(
    private readonly describe: (definition: Definition) => Entry,
    private readonly key: (entry: Entry) => string,
  ) {
    this.#owner = audienceOf([], true, describe, key);
    this.#nonOwner = audienceOf([], false, describe, key);
  }

  /** List `definitions` from now on; returns which audiences now see a different list. */
  replace(definitions: readonly Definition[]): AudiencesChanged {
    const owner = audienceOf(definitions, true, this.describe, this.key);
    const nonOwner = audienceOf(definitions, false, this.describe, this.key);
    const changed = {
      owner: owner.fingerprint !== this.#owner.fingerprint,
      nonOwner: nonOwner.fingerprint !== this.#nonOwner.fingerprint,
    };
    this.#owner = owner;
    this.#nonOwner = nonOwner;
    return changed;
  }

  /** What a caller is listed. */
  list(owner: boolean): readonly Entry[] {
    return (owner ? this.#owner : this.#nonOwner).listed;
  }
}

/** An SDK zod schema (`PromptSchema`, `ReadResourceResultSchema`, ...), as far as we use it. */
export interface SdkSchema<T = unknown> {
  safeParse(value: unknown):
    | { readonly success: true; readonly data: T }
    | {
        readonly success: false;
        readonly error: {
          readonly issues: readonly { readonly path: PropertyKey[]; readonly message: string }[];
        };
      };
}

/** Undefined when `value` fits `schema`, else the first wrong field and why (`title: ...`). */
export function schemaProblem(schema: SdkSchema, value: unknown): string | undefined {
  const verdict = schema.safeParse(value);
  if (verdict.success) return undefined;
  const issue = verdict.error.issues[0];
  if (issue === undefined) return 'does not fit the MCP schema';
  const field = issue.path.map(String).join('.');
  return field === '' ? issue.message : `${field}: ${issue.message}`;
}

/**
 * Undefined when a listed entry fits `schema`, else which field is wrong. Checked at `set`
 * because the SDK client parses a whole list at once: one bad title would hide every entry.
 */
export function entryProblem(schema: SdkSchema, entry: unknown): string | undefined {
  const problem = schemaProblem(schema, entry);
  return problem === undefined ? undefined : `has an invalid ${problem}`;
}

/** True for a string of at least one character (a name, a URI). */
export const nonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;

/**
 * True for an array. A plain boolean check: `Array.isArray` would narrow a readonly array to
 * `any[]`.
 */
export const isList = (value: unknown): boolean => Array.isArray(value);
