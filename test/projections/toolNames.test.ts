import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { assignNames, NAME_SEPARATOR, safeNamePart, type ListedName } from '../../src/index.js';
import { TOOL_NAME_MAX } from '../../src/projections/toolNames.js';

const VALID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The names as a plain object, easy to compare: `{ server: { listed: final } }`. */
const plainNames = (names: ReadonlyMap<string, ReadonlyMap<string, string>>) =>
  Object.fromEntries(
    [...names].map(([server, ofServer]) => [server, Object.fromEntries(ofServer)]),
  );

const finalNames = (names: ReadonlyMap<string, ReadonlyMap<string, string>>) =>
  [...names.values()].flatMap((ofServer) => [...ofServer.values()]);

/** The documented base of a pair, as rule 2 of `assignNames` spells it. */
const baseOf = ({ server, name }: ListedName) =>
  `${safeNamePart(server)}__${safeNamePart(name)}`.slice(0, TOOL_NAME_MAX);

// Few characters, so that sanitizing, separators and suffixes collide often; unicode, the
// separator itself, and names long enough to be cut.
const part = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({ unit: fc.constantFrom('a', '_', '-', '2', '/', 'é', '😀') }),
  },
  // Names that equal another pair's suffixed name, or its base through the separator.
  { weight: 2, arbitrary: fc.constantFrom('', 'a_', 'a/', 'a_-2', 'a_-3', '__', 'a__b', 'b__c') },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 120, maxLength: 130 }),
  },
);
const pair = fc.record({ server: part, name: part });
/**
 * Pairs that fight over one base (`n/` and `n_`) and one that is named like the loser's suffix
 * (`n_-2`): the cases where a careless rule gives one name twice or moves a name that had no
 * rival.
 */
const rivalsOf = ({ server, name }: ListedName): ListedName[] => [
  { server, name: `${name}/` },
  { server, name: `${name}_` },
  { server, name: `${safeNamePart(name)}_-2` },
];
const pairs = fc
  .array(pair, { maxLength: 10 })
  .chain((listed) =>
    fc.subarray(listed).map((crowded) => [...listed, ...crowded.flatMap(rivalsOf)]),
  );
// Reserved names that hit bases and suffixes, not only random text.
const reservedFrom = (listed: readonly ListedName[]) =>
  fc.subarray([...listed.map(baseOf), ...listed.map((entry) => `${baseOf(entry)}-2`)]);

describe('assignNames', () => {
  it('joins server and tool with the separator', () => {
    expect(NAME_SEPARATOR).toBe('__');
    expect(plainNames(assignNames([{ server: 'fs', name: 'read_file' }]))).toEqual({
      fs: { read_file: 'fs__read_file' },
    });
  });

  it('gives every name the MCP tool-name rule allows, unique and never reserved', () => {
    fc.assert(
      fc.property(
        pairs.chain((listed) => fc.tuple(fc.constant(listed), reservedFrom(listed))),
        ([listed, reserved]) => {
          const names = finalNames(assignNames(listed, reserved));
          for (const name of names) expect(name).toMatch(VALID);
          expect(new Set(names).size).toBe(names.length);
          expect(names.filter((name) => reserved.includes(name))).toEqual([]);
          // Every distinct pair got a name.
          const distinct = new Set(
            listed.map(({ server, name }) => JSON.stringify([server, name])),
          );
          expect(names).toHaveLength(distinct.size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same map for the same pairs in any order and with duplicates', () => {
    fc.assert(
      fc.property(
        pairs.chain((listed) =>
          fc.tuple(
            fc.constant(listed),
            fc.shuffledSubarray([...listed, ...listed], { minLength: 2 * listed.length }),
          ),
        ),
        fc.array(fc.string(), { maxLength: 3 }),
        ([listed, reordered], reserved) => {
          const once = assignNames(listed, reserved);
          const again = assignNames(reordered, [...reserved].reverse());
          expect(plainNames(again)).toEqual(plainNames(once));
          // The map's own iteration order too: a host printing it prints the same text.
          expect(JSON.stringify(plainNames(again))).toBe(JSON.stringify(plainNames(once)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('changes no name that did not collide when reserved names or other servers come', () => {
    fc.assert(
      fc.property(
        pairs,
        pairs.chain((more) => fc.tuple(fc.constant(more), reservedFrom(more))),
        (listed, [more, reserved]) => {
          const before = assignNames(listed);
          const after = assignNames([...listed, ...more], reserved);
          const contested = new Set([...more.map(baseOf), ...reserved]);
          for (const entry of listed) {
            const was = before.get(entry.server)!.get(entry.name)!;
            // Held its base before, and nothing new wants that base: it keeps it.
            if (was === baseOf(entry) && !contested.has(was)) {
              expect(after.get(entry.server)!.get(entry.name)).toBe(was);
            }
          }
          // And a base nobody else shares, nor any reserved name, is always its pair's name.
          const all = [...listed, ...more];
          for (const entry of all) {
            const base = baseOf(entry);
            const rivals = all.filter(
              (other) =>
                baseOf(other) === base &&
                (other.server !== entry.server || other.name !== entry.name),
            );
            if (rivals.length === 0 && !reserved.includes(base)) {
              expect(after.get(entry.server)!.get(entry.name)).toBe(base);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('suffixes a collision within one server after sanitizing, in code-unit order', () => {
    // ' ' (0x20) sorts before '/' (0x2f): listing order does not matter.
    const names = assignNames([
      { server: 'fs', name: 'a/b' },
      { server: 'fs', name: 'a b' },
      { server: 'fs', name: 'a:b' },
    ]);
    expect(plainNames(names)).toEqual({
      fs: { 'a b': 'fs__a_b', 'a/b': 'fs__a_b-2', 'a:b': 'fs__a_b-3' },
    });
  });

  it('leaves the base to the tool whose own name it is', () => {
    const names = assignNames([
      { server: 'fs', name: 'a b' },
      { server: 'fs', name: 'a_b' },
    ]);
    expect(plainNames(names)).toEqual({ fs: { 'a b': 'fs__a_b-2', a_b: 'fs__a_b' } });
  });

  it('tells a+b__c from a__b+c: the first server in code-unit order keeps the name', () => {
    const listed = [
      { server: 'a__b', name: 'c' },
      { server: 'a', name: 'b__c' },
    ];
    expect(plainNames(assignNames(listed))).toEqual({
      a: { b__c: 'a__b__c' },
      a__b: { c: 'a__b__c-2' },
    });
  });

  it('never takes the base of a tool named like a suffix', () => {
    // `fs__x_-2` is the own name of tool `x_-2`: the first loser of `fs__x_` skips to `-3`.
    const names = assignNames([
      { server: 'fs', name: 'x ' },
      { server: 'fs', name: 'x/' },
      { server: 'fs', name: 'x_' },
      { server: 'fs', name: 'x_-2' },
    ]);
    expect(plainNames(names)).toEqual({
      fs: { 'x ': 'fs__x_-3', 'x/': 'fs__x_-4', x_: 'fs__x_', 'x_-2': 'fs__x_-2' },
    });
  });

  it('gives no reserved name out, suffixing the tool that wanted it', () => {
    const names = assignNames(
      [
        { server: 'fs', name: 'read' },
        { server: 'fs', name: 'write' },
      ],
      ['fs__read', 'fs__read-2'],
    );
    expect(plainNames(names)).toEqual({ fs: { read: 'fs__read-3', write: 'fs__write' } });
  });

  it('cuts long names to 128 characters, leaving room for the suffix', () => {
    const long = 't'.repeat(200);
    const names = assignNames([
      { server: 'srv', name: long },
      { server: 'srv', name: `${long}x` },
      { server: 'srv', name: 'short' },
    ]);
    const base = `srv__${long}`.slice(0, 128);
    expect(base).toHaveLength(128);
    expect(plainNames(names)).toEqual({
      srv: { [long]: base, [`${long}x`]: `${base.slice(0, 126)}-2`, short: 'srv__short' },
    });
  });

  it("keeps a server's own names with the prefix '', suffixing only what collides", () => {
    const names = assignNames(
      [
        { server: 'suite', name: 'test_simple_text' },
        { server: 'suite', name: 'other__echo' },
        { server: 'other', name: 'echo' },
        { server: '', name: 'x' },
      ],
      [],
      new Map([['suite', '']]),
    );
    expect(names.get('suite')).toEqual(
      new Map([
        ['test_simple_text', 'test_simple_text'],
        // `other`'s own joined name is written that way: it keeps it.
        ['other__echo', 'other__echo-2'],
      ]),
    );
    expect(names.get('other')).toEqual(new Map([['echo', 'other__echo']]));
    // A server named '' is no prefix '': its part is still `_`.
    expect(names.get('')).toEqual(new Map([['x', '___x']]));
  });

  it('makes empty and unicode names safe', () => {
    const names = assignNames([
      { server: '', name: '' },
      { server: 'wétter', name: '😀 forecast' },
    ]);
    expect(plainNames(names)).toEqual({
      '': { '': '____' },
      wétter: { '😀 forecast': 'w_tter____forecast' },
    });
  });
});

describe('safeNamePart', () => {
  it('keeps letters, digits, _, - and . and turns everything else into one _ each', () => {
    expect(safeNamePart('Read.File-2_x')).toBe('Read.File-2_x');
    expect(safeNamePart('a b/c:d')).toBe('a_b_c_d');
    expect(safeNamePart('😀é')).toBe('__');
    expect(safeNamePart('\ud800')).toBe('_');
  });

  it('turns the empty text into _', () => {
    expect(safeNamePart('')).toBe('_');
  });
});
