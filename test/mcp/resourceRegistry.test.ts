import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LoopbackError } from '../../src/mcp/loopback/LoopbackError.js';
import type {
  LoopbackResource,
  LoopbackResourceTemplate,
} from '../../src/mcp/loopback/LoopbackResource.js';
import { ResourceRegistry } from '../../src/mcp/loopback/resourceRegistry.js';

const read = () => ({ contents: [] });
const resource = (uri: string, extra: Partial<LoopbackResource> = {}): LoopbackResource => ({
  uri,
  name: uri,
  read,
  ...extra,
});
const template = (
  uriTemplate: string,
  extra: Partial<LoopbackResourceTemplate> = {},
): LoopbackResourceTemplate => ({ uriTemplate, name: uriTemplate, read, ...extra });

/** The message of the `invalid_resource` error that `set` throws. */
function refusal(resources: unknown, templates: unknown = []): string {
  try {
    new ResourceRegistry().set(resources as LoopbackResource[], templates as never);
  } catch (error) {
    expect(error).toBeInstanceOf(LoopbackError);
    expect((error as LoopbackError).code).toBe('invalid_resource');
    return (error as LoopbackError).message;
  }
  throw new Error('set accepted the definitions');
}

describe('ResourceRegistry: validation', () => {
  it.each([
    ['resources not an array', 'nope', [], 'resources must be an array'],
    ['templates not an array', [], 'nope', 'templates must be an array'],
    ['a resource without a uri', [{ name: 'a', read }], [], 'resource #0 needs a uri'],
    ['a relative uri', [resource('notes.txt')], [], 'resource "notes.txt" needs a uri that is'],
    [
      'a duplicate uri',
      [resource('file:///a'), resource('file:///a')],
      [],
      'resource "file:///a" is registered twice',
    ],
    ['an empty name', [resource('file:///a', { name: '' })], [], 'needs a non-empty name'],
    ['no read', [{ uri: 'file:///a', name: 'a' }], [], 'resource "file:///a" needs a read'],
    [
      'a size that is not a number',
      [resource('file:///a', { size: '3' as never })],
      [],
      'resource "file:///a" has an invalid size',
    ],
    ['a template without uriTemplate', [], [{ name: 't', read }], 'resource template #0 needs'],
    [
      'a template that does not compile',
      [],
      [template('file:///{day')],
      'resource template "file:///{day" does not compile as a URI template',
    ],
    [
      'a duplicate template',
      [],
      [template('file:///{a}'), template('file:///{a}')],
      'resource template "file:///{a}" is registered twice',
    ],
    ['a template without read', [], [{ uriTemplate: 'x:{a}', name: 'x' }], 'needs a read'],
    [
      'complete that is not an object',
      [],
      [template('x:{a}', { complete: [] as never })],
      'has a complete that is not an object',
    ],
    [
      'complete for a variable the template lacks',
      [],
      [template('x:{day}', { complete: { dya: () => [] } })],
      'has complete.dya but no variable "dya" (it has: day)',
    ],
    [
      'complete whose value is not a function',
      [],
      [template('x:{day}', { complete: { day: 'nope' as never } })],
      'has complete.day not a function',
    ],
  ])('refuses %s with invalid_resource saying what to fix', (_, resources, templates, message) => {
    expect(refusal(resources, templates)).toContain(message);
  });

  it('keeps the previous set when a new one is refused (set is atomic)', () => {
    const registry = new ResourceRegistry();
    registry.set([resource('file:///a')], [template('file:///t/{x}')]);
    expect(() => registry.set([resource('file:///b')], [template('file:///{')])).toThrow();
    expect(registry.has('file:///a', true)).toBe(true);
    expect(registry.has('file:///b', true)).toBe(false);
    expect(registry.registered.templates.map((t) => t.uriTemplate)).toEqual(['file:///t/{x}']);
  });
});

describe('ResourceRegistry: audiences', () => {
  const registry = new ResourceRegistry();
  registry.set(
    [
      resource('file:///public', { mimeType: 'text/plain', size: 3 }),
      resource('file:///secret', { ownerOnly: true, title: 'Secret' }),
    ],
    [
      template('file:///logs/{day}', { description: 'logs', complete: { day: () => [] } }),
      template('file:///keys/{id}', { ownerOnly: true }),
    ],
  );

  it('lists only the fields given, without read, complete or ownerOnly', () => {
    expect(registry.list(true)).toEqual([
      { uri: 'file:///public', name: 'file:///public', mimeType: 'text/plain', size: 3 },
      { uri: 'file:///secret', name: 'file:///secret', title: 'Secret' },
    ]);
    expect(registry.templates(true)).toEqual([
      { uriTemplate: 'file:///logs/{day}', name: 'file:///logs/{day}', description: 'logs' },
      { uriTemplate: 'file:///keys/{id}', name: 'file:///keys/{id}' },
    ]);
  });

  it('hides owner-only resources and templates from a non-owner', () => {
    expect(registry.list(false).map((r) => r.uri)).toEqual(['file:///public']);
    expect(registry.templates(false).map((t) => t.uriTemplate)).toEqual(['file:///logs/{day}']);
  });

  it('resolves what a non-owner may not read as a miss the host can tell apart', () => {
    expect(registry.resolve('file:///secret', false)).toBe('owner_only');
    expect(registry.resolve('file:///keys/7', false)).toBe('owner_only');
    expect(registry.resolve('file:///nothing', false)).toBe('unknown');
    expect(registry.resolve('file:///nothing', true)).toBe('unknown');
    expect(registry.has('file:///keys/7', false)).toBe(false);
    expect(registry.has('file:///keys/7', true)).toBe(true);
  });

  it('looks up fixed resources and templates by their exact string', () => {
    expect(registry.lookup('file:///public', false)).toMatchObject({ uri: 'file:///public' });
    expect(registry.lookup('file:///secret', false)).toBe('owner_only');
    expect(registry.lookup('file:///logs/{day}', true)).toBe('unknown');
    expect(registry.lookupTemplate('file:///logs/{day}', false)).toMatchObject({
      description: 'logs',
    });
    expect(registry.lookupTemplate('file:///keys/{id}', false)).toBe('owner_only');
    expect(registry.lookupTemplate('constructor', true)).toBe('unknown');
  });
});

describe('ResourceRegistry: change detection', () => {
  it('reports a change of either list to exactly the audiences that see it', () => {
    const registry = new ResourceRegistry();
    expect(registry.set([resource('file:///a')], [])).toEqual({ owner: true, nonOwner: true });
    expect(registry.set([resource('file:///a')], [template('x:{a}', { ownerOnly: true })])).toEqual(
      { owner: true, nonOwner: false },
    );
    expect(
      registry.set([resource('file:///a')], [template('x:{a}', { ownerOnly: true, title: 'T' })]),
    ).toEqual({ owner: true, nonOwner: false });
    expect(registry.set([], [template('x:{a}', { ownerOnly: true, title: 'T' })])).toEqual({
      owner: true,
      nonOwner: true,
    });
  });

  it('reports no change for the same definitions in another order or with other callbacks', () => {
    const registry = new ResourceRegistry();
    registry.set(
      [resource('file:///a'), resource('file:///b')],
      [template('x:{a}'), template('y:{b}')],
    );
    const other = () => ({ contents: [] });
    expect(
      registry.set(
        [resource('file:///b'), resource('file:///a', { read: other })],
        [template('y:{b}'), template('x:{a}', { read: other })],
      ),
    ).toEqual({ owner: false, nonOwner: false });
  });
});

describe('ResourceRegistry: resolve', () => {
  it('prefers the fixed resource of a URI over a template that matches it', () => {
    const registry = new ResourceRegistry();
    const fixed = resource('file:///logs/today');
    registry.set([fixed], [template('file:///logs/{day}')]);
    expect(registry.resolve('file:///logs/today', false)).toEqual({ resource: fixed });
  });

  it('reads through the first matching template in registration order, with its variables', () => {
    const registry = new ResourceRegistry();
    const narrow = template('file:///logs/{day}');
    const wide = template('file:///{+path}');
    registry.set([], [narrow, wide]);
    expect(registry.resolve('file:///logs/monday', true)).toEqual({
      template: narrow,
      variables: { day: 'monday' },
    });
    expect(registry.resolve('file:///etc/hosts', true)).toEqual({
      template: wide,
      variables: { path: 'etc/hosts' },
    });
    registry.set([], [wide, narrow]);
    expect(registry.resolve('file:///logs/monday', true)).toMatchObject({ template: wide });
  });

  it('skips what a non-owner may not see, so a hidden resource reads like an unknown one', () => {
    const registry = new ResourceRegistry();
    const open = template('file:///notes/{name}');
    registry.set([resource('file:///notes/secret', { ownerOnly: true })], [open]);
    expect(registry.resolve('file:///notes/secret', false)).toEqual({
      template: open,
      variables: { name: 'secret' },
    });
  });

  it('resolves a URI too long for UriTemplate.match as unknown instead of throwing', () => {
    const registry = new ResourceRegistry();
    registry.set([], [template('file:///{+path}')]);
    expect(registry.resolve(`file:///${'a'.repeat(1_000_001)}`, true)).toBe('unknown');
  });

  it('agrees with the first UriTemplate in order that matches, for any templates and URIs', () => {
    const part = fc.constantFrom('a', 'logs', '{x}', '{y}', '{+rest}', '{/p}', '{?q}', '{.ext}');
    const definition = fc.record({
      uriTemplate: fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => `s:${p.join('/')}`),
      ownerOnly: fc.boolean(),
    });
    // Pieces the parts above expand to, so that many URIs match some template and some two.
    const word = fc.constantFrom('a', 'logs', 'v', 'r/s', '/p1', '?q=1', '.txt', 'b,c', '', '%20');
    const uri = fc.array(word, { maxLength: 5 }).map((w) => `s:${w.join('/')}`);
    const value = fc.constantFrom('v', 'a', 'r/s', 'b,c', '%20');
    const values = fc.record({ x: value, y: value, rest: value, p: value, q: value, ext: value });
    const property = fc.property(
      fc.uniqueArray(definition, { selector: (d) => d.uriTemplate, maxLength: 6 }),
      fc.array(uri, { maxLength: 8 }),
      values,
      fc.boolean(),
      (definitions, uris, variables, owner) => {
        const templates = definitions.map((d) => template(d.uriTemplate, d));
        const registry = new ResourceRegistry();
        registry.set([], templates);
        // Each template's own expansion too: it matches that template, and often an earlier one.
        const expansions = templates.map((t) => new UriTemplate(t.uriTemplate).expand(variables));
        for (const candidate of [...uris, ...expansions]) {
          const first = templates
            .filter((t) => owner || t.ownerOnly !== true)
            .map((t) => ({
              template: t,
              variables: new UriTemplate(t.uriTemplate).match(candidate),
            }))
            .find((match) => match.variables !== null);
          const resolved = registry.resolve(candidate, owner);
          if (first) expect(resolved).toEqual(first);
          else expect(typeof resolved).toBe('string');
        }
      },
    );
    fc.assert(property, { numRuns: 300 });
  });
});
