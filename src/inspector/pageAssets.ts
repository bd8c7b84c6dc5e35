// @internal The inspector page: its HTML shell and its script, bundled from the repo's sources.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ToolflightError } from '../errors.js';
import { PAGE_CSS } from './pageCss.js';

/** The bundle `npm run build` writes next to the compiled server. */
export const BUNDLE_FILE = 'inspector-page.js';

let bundled: Promise<string> | undefined;

/**
 * The page script. Run from sources (tests, tsx) it is bundled in memory from
 * `page/main.ts` with esbuild, so an edited page is never served stale; run from `dist/` it is
 * the bundle the build wrote.
 */
export function pageScript(): Promise<string> {
  bundled ??= load().catch((error: unknown) => {
    bundled = undefined;
    throw error;
  });
  return bundled;
}

async function load(): Promise<string> {
  const source = join(import.meta.dirname, 'page', 'main.ts');
  if (existsSync(source)) {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [source],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  }
  const file = join(import.meta.dirname, BUNDLE_FILE);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ToolflightError(
      'io_error',
      `the inspector page is not built (${file} is missing): run \`npm run build\``,
      { cause: error },
    );
  }
}

const escapeAttr = (value: string): string =>
  value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** How the page is set up: `fleet` for a log merged from several hosts. */
export interface PageConfig {
  readonly fleet?: boolean;
}

/**
 * The page's first `/window` (the log's end), as `fetchWindow` asks for it: preloaded by the
 * HTML, so that the server cuts the window while the browser loads and runs the script.
 */
export const firstWindowUrl = (token: string): string =>
  `/window?${new URLSearchParams({ token }).toString()}`;

/** The page's HTML; the script is loaded with the same token as the page. */
export function pageHtml(token: string, title: string, config: PageConfig = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="preload" href="${escapeAttr(firstWindowUrl(token))}" as="fetch" crossorigin="anonymous">
<title>${escapeAttr(title)} · toolflight inspector</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<div id="app" data-title="${escapeAttr(title)}"${config.fleet ? ' data-fleet="1"' : ''}>loading…</div>
<script type="module" src="/app.js?token=${encodeURIComponent(token)}"></script>
</body>
</html>
`;
}
