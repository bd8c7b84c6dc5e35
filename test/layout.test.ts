// The shape of the source tree, as DESIGN.md draws it: no import circles between files or
// folders, a core that runs anywhere, and the one-audience-per-folder split of `src/mcp`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The modules a file imports statically (`import … from`, `export … from`), not by `import()`. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  // `import type` is erased: it loads nothing at run time.
  const typeOnly = (statement: ts.Statement) =>
    (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly === true) ||
    (ts.isExportDeclaration(statement) && statement.isTypeOnly);
  return source.statements.flatMap((statement) =>
    (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
    !typeOnly(statement) &&
    statement.moduleSpecifier !== undefined &&
    ts.isStringLiteral(statement.moduleSpecifier)
      ? [statement.moduleSpecifier.text]
      : [],
  );
}

/** Every file's imports (type imports and re-exports included), as tree paths or bare names. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('machines')]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const imports = ts
      .preProcessFile(text, true, true)
      .importedFiles.map(({ fileName }) =>
        fileName.startsWith('.')
          ? relative(ROOT, resolve(ROOT, dirname(file), fileName)).replace(/\.js$/, '.ts')
          : fileName,
      );
    graph.set(file, imports);
  }
  return graph;
}

/** One cycle of the graph, as the path that closes it, or undefined when there is none. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = onPath.indexOf(node);
    if (at >= 0) return [...onPath.slice(at), node];
    if (done.has(node)) return undefined;
    onPath.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const graph = importGraph();
const local = (imports: readonly string[]) => imports.filter((name) => graph.has(name));

/** The files a subpath of the package (or `machines/`) exports from. */
const ENTRIES = [
  'src/index.ts',
  'src/mcp/index.ts',
  'src/store/index.ts',
  'src/inspector/index.ts',
  'src/otel/index.ts',
  'src/nats/index.ts',
  'src/testing/index.ts',
  'machines/index.ts',
];

const CORE = ['src/events', 'src/tracker', 'src/projections', 'src/replay'];
const isCore = (file: string) =>
  CORE.some((folder) => file.startsWith(`${folder}/`)) ||
  ['src/index.ts', 'src/errors.ts', 'src/logger.ts', 'src/store/memoryStore.ts'].includes(file);

describe('the source tree', () => {
  it('has no import circle between files', () => {
    const edges = new Map([...graph].map(([file, imports]) => [file, new Set(local(imports))]));
    expect(findCycle(edges)).toBeUndefined();
  });

  it('has no import circle between folders (nothing imports back up into its parent)', () => {
    // An entry file gathers its folder's exports from below; the folder itself still may not
    // lean on what it gathers.
    const edges = new Map<string, Set<string>>();
    for (const [file, imports] of graph) {
      if (ENTRIES.includes(file)) continue;
      const from = dirname(file);
      const targets = edges.get(from) ?? new Set();
      for (const target of local(imports))
        if (dirname(target) !== from) targets.add(dirname(target));
      edges.set(from, targets);
    }
    expect(findCycle(edges)).toBeUndefined();
  });

  it('keeps the core free of node: modules, servers and the barrel files', () => {
    const offending = [...graph]
      .filter(([file]) => isCore(file))
      .flatMap(([file, imports]) =>
        imports
          .filter(
            (name) =>
              name.startsWith('node:') ||
              /^src\/(mcp|inspector|cli|otel|nats|store\/(?!memoryStore|EventStore|listeners))/.test(
                name,
              ),
          )
          .map((name) => `${file} -> ${name}`),
      );
    expect(offending).toEqual([]);
  });

  it('imports no entry file from inside the library', () => {
    const entries = ENTRIES;
    const offending = [...graph]
      .filter(([file]) => !file.startsWith('src/cli/') && !entries.includes(file))
      .flatMap(([file, imports]) =>
        local(imports)
          .filter((name) => entries.includes(name))
          .map((name) => `${file} -> ${name}`),
      );
    expect(offending).toEqual([]);
  });

  it('gives each audience of src/mcp its own folder, shared parts in endpoint/', () => {
    const top = sourceFiles('src/mcp').filter((file) => dirname(file) === 'src/mcp');
    expect(top).toEqual(['src/mcp/index.ts']);
    const rules: [from: RegExp, mayNotImport: RegExp][] = [
      [/^src\/mcp\/endpoint\//, /^src\/mcp\/(loopback|proxy|gateway)\//],
      [/^src\/mcp\/loopback\//, /^src\/mcp\/(proxy|gateway)\//],
      [/^src\/mcp\/proxy\//, /^src\/mcp\/(loopback|gateway)\//],
    ];
    const offending = [...graph].flatMap(([file, imports]) =>
      rules
        .filter(([from]) => from.test(file))
        .flatMap(([, forbidden]) => local(imports).filter((name) => forbidden.test(name)))
        .map((name) => `${file} -> ${name}`),
    );
    expect(offending).toEqual([]);
  });

  it('keeps OpenTelemetry in src/otel, which imports only its api statically and only the core', () => {
    const offending = [...graph].flatMap(([file, imports]) => {
      const otel = file.startsWith('src/otel/');
      const wrong = otel
        ? [
            ...staticImports(file).filter(
              (name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api',
            ),
            ...local(imports).filter((name) => /^src\/(mcp|cli|inspector|nats)\//.test(name)),
          ]
        : imports.filter((name) => name.startsWith('@opentelemetry/'));
      return wrong.map((name) => `${file} -> ${name}`);
    });
    expect(offending).toEqual([]);
  });

  it('keeps NATS in src/nats, which imports the client as types only, and only the core and the stores', () => {
    const offending = [...graph].flatMap(([file, imports]) => {
      const nats = file.startsWith('src/nats/');
      const wrong = nats
        ? [
            // The client is an optional peer: loaded with import() by loadNats, never statically.
            ...staticImports(file).filter((name) => name.startsWith('@nats-io/')),
            ...local(imports).filter((name) => /^src\/(mcp|cli|inspector|otel)\//.test(name)),
          ]
        : file.startsWith('src/cli/')
          ? staticImports(file).filter((name) => name.startsWith('@nats-io/'))
          : [
              ...imports.filter((name) => name.startsWith('@nats-io/')),
              ...local(imports).filter((name) => name.startsWith('src/nats/')),
            ];
      return wrong.map((name) => `${file} -> ${name}`);
    });
    expect(offending).toEqual([]);
  });
});
