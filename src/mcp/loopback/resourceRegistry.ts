// @internal The resources of one loopback server: fixed resources by URI, templates in
// registration order with their compiled matchers, and what each audience (owner, non-owner)
// sees.
import { UriTemplate, type Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  ResourceSchema,
  ResourceTemplateSchema,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';

import { messageOf } from '../../errors.js';
import {
  type CatalogMiss,
  entryProblem,
  isList,
  nonEmptyString,
  Listed,
  visibleTo,
  type AudiencesChanged,
} from './catalogEntries.js';
import { LoopbackError } from './LoopbackError.js';
import type { LoopbackResource, LoopbackResourceTemplate } from './LoopbackResource.js';

/** What a URI resolves to: a fixed resource, or the first template that matches it. */
export type ResolvedResource =
  | { readonly resource: LoopbackResource; readonly template?: undefined }
  | {
      readonly template: LoopbackResourceTemplate;
      /** As `UriTemplate.match` returns them: still percent-encoded. */
      readonly variables: Variables;
      readonly resource?: undefined;
    };

interface CompiledTemplate {
  readonly definition: LoopbackResourceTemplate;
  readonly matcher: UriTemplate;
}

/** Copy the optional fields a resource and a template share, only those given. */
function describeCommon<Entry extends Resource | ResourceTemplate>(
  entry: Entry,
  from: LoopbackResource | LoopbackResourceTemplate,
): Entry {
  if (from.title !== undefined) entry.title = from.title;
  if (from.description !== undefined) entry.description = from.description;
  if (from.mimeType !== undefined) entry.mimeType = from.mimeType;
  if (from.annotations !== undefined) entry.annotations = from.annotations;
  return entry;
}

function describeResource(resource: LoopbackResource): Resource {
  const entry = describeCommon<Resource>({ uri: resource.uri, name: resource.name }, resource);
  if (resource.size !== undefined) entry.size = resource.size;
  return entry;
}

const describeTemplate = (template: LoopbackResourceTemplate): ResourceTemplate =>
  describeCommon({ uriTemplate: template.uriTemplate, name: template.name }, template);

function invalid(kind: string, index: number, id: unknown, problem: string): LoopbackError {
  const which = nonEmptyString(id) ? `${kind} "${id}"` : `${kind} #${index}`;
  return new LoopbackError('invalid_resource', `${which} ${problem}`);
}

/** Check one fixed resource; throws `invalid_resource` saying what to fix. */
function checkResource(resource: LoopbackResource, index: number, seen: Set<string>): void {
  const uri: unknown = resource?.uri;
  const fail = (problem: string) => invalid('resource', index, uri, problem);
  if (!nonEmptyString(uri) || !URL.canParse(uri)) {
    throw fail('needs a uri that is an absolute URI (one `new URL` parses), e.g. "file:///a.txt"');
  }
  if (seen.has(uri)) throw fail('is registered twice: resource URIs must be unique');
  seen.add(uri);
  if (!nonEmptyString(resource.name)) throw fail('needs a non-empty name');
  if (typeof resource.read !== 'function') throw fail('needs a read function');
  const problem = entryProblem(ResourceSchema, describeResource(resource));
  if (problem !== undefined) throw fail(problem);
}

/** Check one template and compile it; throws `invalid_resource` saying what to fix. */
function compileTemplate(
  template: LoopbackResourceTemplate,
  index: number,
  seen: Set<string>,
): CompiledTemplate {
  const source: unknown = template?.uriTemplate;
  const fail = (problem: string) => invalid('resource template', index, source, problem);
  if (!nonEmptyString(source)) throw fail('needs a uriTemplate, e.g. "file:///logs/{day}"');
  let matcher: UriTemplate;
  try {
    matcher = new UriTemplate(source);
  } catch (error) {
    throw fail(`does not compile as a URI template: ${messageOf(error)}`);
  }
  if (seen.has(source)) throw fail('is registered twice: URI templates must be unique');
  seen.add(source);
  if (!nonEmptyString(template.name)) throw fail('needs a non-empty name');
  if (typeof template.read !== 'function') throw fail('needs a read function');
  const complete: unknown = template.complete;
  if (complete !== undefined) {
    if (typeof complete !== 'object' || complete === null || isList(complete)) {
      throw fail('has a complete that is not an object of functions by variable name');
    }
    const variables = matcher.variableNames;
    for (const [variable, callback] of Object.entries(complete)) {
      // A completer for a variable the template lacks is a typo nobody would otherwise notice.
      if (!variables.includes(variable)) {
        const known = variables.length === 0 ? 'none' : variables.join(', ');
        throw fail(`has complete.${variable} but no variable "${variable}" (it has: ${known})`);
      }
      if (typeof callback !== 'function') throw fail(`has complete.${variable} not a function`);
    }
  }
  const problem = entryProblem(ResourceTemplateSchema, describeTemplate(template));
  if (problem !== undefined) throw fail(problem);
  return { definition: template, matcher };
}

/** The variables of `uri` under `matcher`, or null. */
function matchOf(matcher: UriTemplate, uri: string): Variables | null {
  try {
    return matcher.match(uri);
  } catch {
    // `match` throws on a URI over 1 MB; such a URI names nothing here.
    return null;
  }
}

/** The resources and templates; `set` replaces both atomically (all definitions checked first). */
export class ResourceRegistry {
  #resources: readonly LoopbackResource[] = [];
  #templates: readonly CompiledTemplate[] = [];
  #byUri = new Map<string, LoopbackResource>();
  #byTemplate = new Map<string, LoopbackResourceTemplate>();
  readonly #listedResources = new Listed<LoopbackResource, Resource>(
    describeResource,
    (entry) => entry.uri,
  );
  readonly #listedTemplates = new Listed<LoopbackResourceTemplate, ResourceTemplate>(
    describeTemplate,
    (entry) => entry.uriTemplate,
  );

  /** Replace resources and templates; returns which audiences now see a different list. */
  set(
    resources: readonly LoopbackResource[],
    templates: readonly LoopbackResourceTemplate[],
  ): AudiencesChanged {
    // Plain boolean checks: `Array.isArray` would narrow a readonly array to `any[]`.
    if (!isList(resources)) {
      throw new LoopbackError('invalid_resource', 'resources must be an array of resources');
    }
    if (!isList(templates)) {
      throw new LoopbackError('invalid_resource', 'templates must be an array of templates');
    }
    const uris = new Set<string>();
    resources.forEach((resource, index) => checkResource(resource, index, uris));
    const sources = new Set<string>();
    const compiled = templates.map((template, index) => compileTemplate(template, index, sources));
    const fixed = this.#listedResources.replace(resources);
    const matched = this.#listedTemplates.replace(templates);
    // A change to either list is one `resources/list_changed`.
    const changed = {
      owner: fixed.owner || matched.owner,
      nonOwner: fixed.nonOwner || matched.nonOwner,
    };
    this.#resources = [...resources];
    this.#templates = compiled;
    this.#byUri = new Map(resources.map((resource) => [resource.uri, resource]));
    this.#byTemplate = new Map(templates.map((template) => [template.uriTemplate, template]));
    return changed;
  }

  /** The resources and templates as registered, in order. */
  get registered(): {
    readonly resources: readonly LoopbackResource[];
    readonly templates: readonly LoopbackResourceTemplate[];
  } {
    return { resources: this.#resources, templates: this.#templates.map((t) => t.definition) };
  }

  /** What `resources/list` answers to a caller. */
  list(owner: boolean): readonly Resource[] {
    return this.#listedResources.list(owner);
  }

  /** What `resources/templates/list` answers to a caller. */
  templates(owner: boolean): readonly ResourceTemplate[] {
    return this.#listedTemplates.list(owner);
  }

  /** The fixed resource at exactly this URI, or why not (templates are not consulted). */
  lookup(uri: string, owner: boolean): LoopbackResource | CatalogMiss {
    const resource = this.#byUri.get(uri);
    if (!resource) return 'unknown';
    return visibleTo(resource, owner) ? resource : 'owner_only';
  }

  /** The template registered as exactly this URI template, or why not. */
  lookupTemplate(uriTemplate: string, owner: boolean): LoopbackResourceTemplate | CatalogMiss {
    const template = this.#byTemplate.get(uriTemplate);
    if (!template) return 'unknown';
    return visibleTo(template, owner) ? template : 'owner_only';
  }

  /**
   * What `resources/read` of `uri` reads for a caller: the fixed resource of that URI, else the
   * first template in registration order that matches. What a caller may not see is skipped, as
   * if it were not registered, so a hidden resource reads exactly like an unknown one.
   */
  resolve(uri: string, owner: boolean): ResolvedResource | CatalogMiss {
    const found = this.#first(uri, owner);
    if (found) return found;
    return !owner && this.#first(uri, true) ? 'owner_only' : 'unknown';
  }

  /** Whether a caller may read `uri` (e.g. before it subscribes to it). */
  has(uri: string, owner: boolean): boolean {
    return this.#first(uri, owner) !== undefined;
  }

  #first(uri: string, owner: boolean): ResolvedResource | undefined {
    const resource = this.#byUri.get(uri);
    if (resource && visibleTo(resource, owner)) return { resource };
    for (const { definition, matcher } of this.#templates) {
      if (!visibleTo(definition, owner)) continue;
      const variables = matchOf(matcher, uri);
      if (variables) return { template: definition, variables };
    }
    return undefined;
  }
}
