// @internal Whether a stdio server's command can be started, looked up the way `spawn` will:
// a command with a path separator is a file (relative to the child's working directory), a bare
// name is searched on the PATH the child gets. Checked when the gateway starts, so a mistyped
// command is a clear error then, not an ENOENT on the first call.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where to look, as the child will be started. */
export interface CommandSearch {
  /** The child's working directory; default the gateway's own. */
  readonly cwd?: string;
  /** The PATH the child gets; undefined: none. */
  readonly path: string | undefined;
}

/** What stands at `file`: a file that can be run, or why not. */
function check(file: string): 'ok' | 'missing' | 'directory' | 'not a file' | 'not executable' {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return 'missing';
  }
  if (stat.isDirectory()) return 'directory';
  if (!stat.isFile()) return 'not a file';
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return 'not executable';
  }
  return 'ok';
}

/**
 * The file `command` starts, or why it cannot be started (a sentence about `command`, which is
 * quoted as given). On Windows, without a shell, `spawn` tries the name, `.com` and `.exe` only:
 * so does this (a `.cmd` such as `npx.cmd` needs `cmd /c`).
 */
export function findCommand(
  command: string,
  search: CommandSearch,
): { file: string } | { problem: string } {
  const windows = process.platform === 'win32';
  const base = resolve(search.cwd ?? '.');
  const where = search.cwd === undefined ? "the gateway's working directory" : `cwd ${search.cwd}`;
  const quoted = JSON.stringify(command);
  if (command.includes('/') || (windows && command.includes('\\'))) {
    const file = resolve(base, command);
    const verdict = check(file);
    if (verdict === 'ok') return { file };
    const why =
      verdict === 'missing'
        ? `nothing is at ${file}`
        : verdict === 'not executable'
          ? `${file} is not executable (chmod +x it, or run it with its interpreter)`
          : `${file} is ${verdict === 'directory' ? 'a directory' : 'not a regular file'}`;
    return { problem: `${quoted} (relative to ${where}) cannot be started: ${why}` };
  }
  // Without PATH, a POSIX exec searches the system's default directories.
  const dirs = (search.path ?? (windows ? '' : '/usr/bin:/bin')).split(windows ? ';' : ':');
  const names = windows && !/\.[^.\\/]+$/.test(command) ? ['', '.com', '.exe'] : [''];
  for (const dir of dirs) {
    // An empty entry is the working directory, as exec reads it.
    if (windows && dir === '') continue;
    for (const suffix of names) {
      const file = resolve(base, dir, command + suffix);
      if (check(file) === 'ok') return { file };
    }
  }
  const path =
    search.path === undefined
      ? 'the server gets no PATH'
      : `${dirs.length} directories searched, of the PATH the server gets: its env.PATH, else the gateway's`;
  return {
    problem: `${quoted} was not found on PATH (${path}): install it, or write its absolute path`,
  };
}
