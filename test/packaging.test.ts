// What `npm pack` would publish: every export and the bin are in it, their declarations are
// complete and need only packages a user has, and no source map points at a file that is
// missing. Reads the dist/ that `npm install` / `npm ci` built (the prepare script); builds
// nothing itself (`--ignore-scripts`), so it stays fast.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';

import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface PackageJson {
  readonly bin: Readonly<Record<string, string>>;
  readonly exports: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** `./dist/x.js` -> `dist/x.js`, the form of npm's file list. */
const packed = (target: string): string => posix.normalize(target);

/** Every file an export or the bin points at. */
const exportTargets = (): string[] => [
  ...Object.values(pkg.exports).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : Object.values(entry),
  ),
  ...Object.values(pkg.bin),
];

/** The declaration files of the exports, the ones a user's compiler reads first. */
const typeEntries = (): string[] =>
  Object.values(pkg.exports).flatMap((entry) =>
    typeof entry === 'string' || entry.types === undefined ? [] : [packed(entry.types)],
  );

/** The package a bare specifier names: `@scope/name/sub.js` -> `@scope/name`. */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Every declaration file reachable from `entries` through relative imports, and the bare
 * specifiers each one imports.
 */
function declarationGraph(entries: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (graph.has(file)) return;
    const bare: string[] = [];
    graph.set(file, bare);
    const path = join(ROOT, file);
    if (!existsSync(path)) return;
    const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    for (const { fileName } of [...info.importedFiles, ...info.referencedFiles]) {
      if (fileName.startsWith('.')) {
        visit(posix.join(posix.dirname(file), fileName).replace(/\.js$/, '.d.ts'));
      } else bare.push(fileName);
    }
    for (const { fileName } of info.typeReferenceDirectives) bare.push(fileName);
  };
  for (const entry of entries) visit(entry);
  return graph;
}

let files: Set<string>;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist'))) {
    throw new Error(
      'dist/ is missing: run `npm run build` (npm install and npm ci run it through the prepare script)',
    );
  }
  // --ignore-scripts: `npm pack` would otherwise run the prepare script, a whole build.
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', '--dry-run', '--json', '--ignore-scripts', '--no-audit', '--no-fund'],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const [result] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  files = new Set(result.files.map((file) => file.path));
}, 60_000);

describe('the packed package', () => {
  it('holds every export target and the bin', () => {
    expect(
      exportTargets()
        .map(packed)
        .filter((target) => !files.has(target)),
    ).toEqual([]);
  });

  it('holds the LICENSE the license field names', () => {
    expect(files.has('LICENSE')).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('starts the bin with a node shebang', () => {
    for (const bin of Object.values(pkg.bin)) {
      expect(readFileSync(join(ROOT, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it('holds every declaration file the exports reach', () => {
    const graph = declarationGraph(typeEntries());
    expect([...graph.keys()].filter((file) => !files.has(file))).toEqual([]);
  });

  it('declares the exports with no package a user may lack (no @types/better-sqlite3)', () => {
    // better-sqlite3's types live in @types/better-sqlite3, a devDependency here: a public
    // declaration that named it would break `tsc` for every host that skips SQLite.
    const allowed = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((name) => name !== 'better-sqlite3'),
    ]);
    const builtins = new Set(builtinModules);
    const offending = [...declarationGraph(typeEntries())].flatMap(([file, bare]) =>
      bare
        .filter((specifier) => !specifier.startsWith('node:') && !builtins.has(specifier))
        .filter((specifier) => !allowed.has(packageOf(specifier)))
        .map((specifier) => `${file} -> ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('has no source map pointing at a file that is neither packed nor inlined', () => {
    const broken = [...files]
      .filter((file) => file.endsWith('.map'))
      .flatMap((file) => {
        const map = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as {
          sources: string[];
          sourceRoot?: string;
          sourcesContent?: (string | null)[];
        };
        return map.sources
          .filter((source, index) => typeof map.sourcesContent?.[index] !== 'string')
          .map((source) => posix.join(posix.dirname(file), map.sourceRoot ?? '', source))
          .filter((source) => !files.has(source))
          .map((source) => `${file} -> ${source}`);
      });
    expect(broken).toEqual([]);
  });

  it('holds no compiled file whose source is gone (dist/ from an older build)', () => {
    // The one file that is not tsc's: the inspector page, bundled by esbuild.
    const bundles = new Set(['dist/src/inspector/inspector-page.js']);
    const stale = [...files].filter(
      (file) =>
        file.startsWith('dist/') &&
        file.endsWith('.js') &&
        !bundles.has(file) &&
        !existsSync(join(ROOT, file.slice('dist/'.length).replace(/\.js$/, '.ts'))),
    );
    expect(stale, 'run `npm run build`: it empties dist/ first').toEqual([]);
  });

  it('ships no TypeScript source beside the declarations (the maps inline it)', () => {
    expect([...files].filter((file) => /(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });
});
