// The conformance runner: @modelcontextprotocol/conformance and the Node 22 it needs (it uses
// `fs.globSync`), as pinned by test/conformance/runner/package-lock.json, installed apart from
// the project into .cache/conformance-runner. Apart, because the project runs on Node 20: the
// `node` package in the project's own node_modules would put Node 22 on every npm script's PATH.
// Idempotent: a complete install of the same lockfile is used as it is. `.ci/run` runs this file
// before the tests; a test that needs the runner calls `ensureRunner()`, which installs it when
// it is missing (a fresh clone's `npm test`).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MANIFEST = join(ROOT, 'test/conformance/runner');
/** Where the runner is installed (gitignored). */
export const RUNNER_DIR = join(ROOT, '.cache/conformance-runner');
const STAMP = '.installed-lock-sha256';

/** The Node 22 binary and the conformance CLI it runs. */
export interface Runner {
  readonly node: string;
  readonly cli: string;
}

const runnerIn = (dir: string): Runner => ({
  node: join(dir, 'node_modules/node/bin/node'),
  cli: join(dir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'),
});

/** npm settings a user may give in the environment: where the registry is, and how to reach it. */
const REGISTRY_SETTING =
  /^npm_config_(registry|@[^:]+:registry|\/\/.+|cafile|ca|cert|key|proxy|https_proxy|noproxy|strict_ssl|userconfig|globalconfig|cache)$/i;

/**
 * The environment of a child that is not part of this npm run: without what `npm test` passes
 * its scripts (`npm_config_local_prefix` would point a nested `npm ci` at the project itself,
 * the parent's flags would override the runner's manifest), without NODE_OPTIONS, and with the
 * user's registry settings.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        key !== 'NODE_OPTIONS' &&
        (!key.toLowerCase().startsWith('npm_') || REGISTRY_SETTING.test(key)),
    ),
  );
}

async function run(command: string, args: readonly string[], cwd: string) {
  const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await Promise.race([
    once(child, 'close'),
    once(child, 'error').then(([error]) => {
      throw error;
    }),
  ])) as [number | null];
  return { code, output };
}

const lockHash = async () =>
  createHash('sha256')
    .update(await readFile(join(MANIFEST, 'package-lock.json')))
    .digest('hex');

async function complete(dir: string, hash: string): Promise<boolean> {
  const runner = runnerIn(dir);
  if (!existsSync(runner.node) || !existsSync(runner.cli)) return false;
  const stamp = await readFile(join(dir, STAMP), 'utf8').catch(() => '');
  return stamp === hash;
}

/** The installed runner, installing it first when it is missing or from another lockfile. */
export async function ensureRunner(): Promise<Runner> {
  const hash = await lockHash();
  if (await complete(RUNNER_DIR, hash)) return runnerIn(RUNNER_DIR);
  // Install beside it and move it in whole: a run cut short never leaves half a runner.
  const staging = `${RUNNER_DIR}.staging-${process.pid}`;
  const fail = (step: string, detail: string): never => {
    throw new Error(
      `could not install the MCP conformance runner (node@22 and @modelcontextprotocol/conformance, ` +
        `pinned in test/conformance/runner/package-lock.json) into ${RUNNER_DIR}: ${step}\n${detail}\n` +
        'It comes from the npm registry; run `node --import tsx test/conformance/installRunner.ts` once ' +
        'the registry is reachable (.ci/run does).',
    );
  };
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    for (const file of ['package.json', 'package-lock.json']) {
      await copyFile(join(MANIFEST, file), join(staging, file));
    }
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const installed = await run(npm, ['ci', '--no-audit', '--no-fund'], staging).catch(
      (error: unknown) => fail(`could not start ${npm}`, String(error)),
    );
    if (installed.code !== 0) {
      fail(
        `npm ci exited with ${installed.code}`,
        installed.output.trim().split('\n').slice(-20).join('\n'),
      );
    }
    const runner = runnerIn(staging);
    const version = await run(runner.node, ['--version'], staging).catch((error: unknown) =>
      fail(`${runner.node} did not start`, String(error)),
    );
    if (!version.output.startsWith('v22.')) {
      fail(`${runner.node} is not Node 22`, version.output);
    }
    await writeFile(join(staging, STAMP), hash);
    await rm(RUNNER_DIR, { recursive: true, force: true });
    await rename(staging, RUNNER_DIR).catch(async (error: unknown) => {
      // Another process moved its own install in first: use that one.
      if (!(await complete(RUNNER_DIR, hash))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return runnerIn(RUNNER_DIR);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runner = await ensureRunner();
  process.stdout.write(`conformance runner: ${runner.node} ${runner.cli}\n`);
}
