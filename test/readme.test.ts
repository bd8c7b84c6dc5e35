// The README's TypeScript examples compile, strictly, against the package's own entry points.
// A block may be preceded by `<!-- prelude: … -->`: declarations it assumes (a vault, a tool),
// invisible on the rendered page.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Snippet {
  readonly line: number;
  readonly code: string;
}

function snippets(): Snippet[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    // Prettier keeps a blank line between the comment and the block.
    const before = lines[i - 1] === '' ? lines[i - 2] : lines[i - 1];
    const prelude = /^<!-- prelude: (.*) -->$/.exec(before ?? '')?.[1] ?? '';
    const end = lines.indexOf('```', i + 1);
    // `export {}` makes a block without imports a module too, so blocks do not collide.
    found.push({
      line: i + 2,
      code: `${prelude}\n${lines.slice(i + 1, end).join('\n')}\nexport {};\n`,
    });
    i = end;
  }
  return found;
}

/** The package's subpaths, as a user imports them, mapped onto the sources. */
const PATHS: Record<string, string[]> = {
  toolflight: ['src/index.ts'],
  'toolflight/mcp': ['src/mcp/index.ts'],
  'toolflight/store': ['src/store/index.ts'],
  'toolflight/otel': ['src/otel/index.ts'],
  'toolflight/nats': ['src/nats/index.ts'],
  'toolflight/inspector': ['src/inspector/index.ts'],
  'toolflight/testing': ['src/testing/index.ts'],
  'toolflight/machines': ['machines/index.ts'],
};

describe('the README', () => {
  it('has TypeScript examples that compile under the strict tsconfig', () => {
    const blocks = snippets();
    expect(blocks.length).toBeGreaterThan(5);
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const options: ts.CompilerOptions = {
      ...config.options,
      noEmit: true,
      baseUrl: ROOT,
      paths: PATHS,
      // The examples are read, not run: unused names in them are fine.
      noUnusedLocals: false,
    };
    const virtual = new Map(
      blocks.map((block, index) => [join(ROOT, `readme-example-${index}.ts`), block] as const),
    );
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, ...rest) => {
      const block = virtual.get(resolve(name));
      return block
        ? ts.createSourceFile(name, block.code, language)
        : getSourceFile(name, language, ...rest);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => virtual.has(resolve(name)) || fileExists(name);
    const program = ts.createProgram([...virtual.keys()], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file && virtual.has(resolve(diagnostic.file.fileName)))
      .map((diagnostic) => {
        const block = virtual.get(resolve(diagnostic.file!.fileName))!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        // Line 0 of the virtual file is the prelude.
        const where =
          line === 0
            ? `the prelude of README.md:${block.line}`
            : `README.md:${block.line + line - 1}`;
        return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);
});
